internal import CFFmpeg
public import VigilCore

/// Decodes single JPEG images — frames pushed by clients — with FFmpeg's MJPEG decoder, and converts
/// each straight into a pooled ``FrameImage`` of the size and pixel format the pipeline asked for (as
/// the video source does for a stream). One per source; not for concurrent use.
public final class JPEGDecoder {
    private let decoder: Decoder
    private let packet: Packet
    private let frame: Frame
    private let scaler = Scaler(threads: 1)
    private let pool = FramePool()

    public init() throws {
        guard let codec = avcodec_find_decoder(AV_CODEC_ID_MJPEG) else {
            throw VigilError(.unsupportedCodec, "this FFmpeg has no JPEG (MJPEG) decoder")
        }
        do {
            decoder = try Decoder(codec: codec)
            packet = try Packet()
            frame = try Frame()
        } catch {
            throw VigilError(.mediaDecode, "the JPEG decoder did not open: \(error)")
        }
    }

    /// A decoded picture: its own size, and the image converted for the pipeline (nil when no stage
    /// wants pixels).
    public struct Picture {
        public var width: Int
        public var height: Int
        public var image: FrameImage?
    }

    /// Decodes one complete JPEG. Throws a `.mediaDecode` error saying why for anything that is not one
    /// (the decoder is ready for the next image either way).
    public func decode(_ bytes: [UInt8], for requirement: FrameRequirement?) throws -> Picture {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw VigilError(.mediaDecode, "not a JPEG image (it does not start with the JPEG start-of-image marker)")
        }
        defer {
            packet.unref()
            frame.unref()
            decoder.flush()
        }
        do {
            try ff("av_new_packet") { av_new_packet(packet.pointer, Int32(bytes.count)) }
            bytes.withUnsafeBytes { packet.pointer.pointee.data.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: bytes.count) }
            packet.pointer.pointee.flags |= AV_PKT_FLAG_KEY
            _ = try decoder.send(packet)
            var result = try decoder.receive(into: frame)
            if result == .again {
                _ = try decoder.send(nil)
                result = try decoder.receive(into: frame)
            }
            guard case .value = result, frame.pointer.pointee.width > 0, frame.pointer.pointee.height > 0 else {
                throw VigilError(.mediaDecode, "the JPEG holds no picture")
            }
        } catch let error as MediaError {
            throw VigilError(.mediaDecode, "the JPEG could not be decoded: \(error.message)")
        }
        let width = Int(frame.pointer.pointee.width), height = Int(frame.pointer.pointee.height)
        guard let requirement else { return Picture(width: width, height: height, image: nil) }
        let size = requirement.outputSize(sourceWidth: width, sourceHeight: height)
        let image = pool.makeImage(width: size.width, height: size.height, format: requirement.pixelFormat)
        do {
            try scaler.convert(frame, into: image)
        } catch {
            throw VigilError(.mediaDecode, "the JPEG's pixels could not be converted: \(error.message)")
        }
        return Picture(width: width, height: height, image: image)
    }
}
