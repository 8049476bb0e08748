internal import CFFmpeg
public import VigilCore

/// Encodes BGR24 pictures, or a rectangle of one, as JPEG with FFmpeg's MJPEG encoder: the server's
/// crops of people, cut from a decoded frame without copying it first. The encoder is opened per size
/// (a JPEG has no inter-frame state), so one value serves any number of pictures; not for concurrent use.
public final class JPEGEncoder {
    /// 1 (best) to 100, as libjpeg's quality.
    public let quality: Int
    private let packet: Packet

    public init(quality: Int = 85) throws {
        FFmpegSetup.once
        self.quality = min(100, max(1, quality))
        do { packet = try Packet() } catch { throw VigilError(.io, "the JPEG encoder did not start: \(error)") }
    }

    /// The JPEG of `image`'s pixels inside `crop` (the whole image when nil), in image pixels; the
    /// rectangle is clipped to the image and must keep at least 2×2 pixels.
    public func encode(_ image: FrameImage, crop: BoundingBox? = nil) throws -> [UInt8] {
        guard image.format == .bgr24 else {
            throw VigilError(.invalidArgument, "the JPEG encoder takes BGR24 pictures, got \(image.format.rawValue)")
        }
        let box = (crop ?? BoundingBox(x: 0, y: 0, width: Double(image.width), height: Double(image.height)))
            .clipped(width: Double(image.width), height: Double(image.height))
        // 4:2:0 wants even sizes and offsets.
        let x = Int(box.x) & ~1, y = Int(box.y) & ~1
        let width = min(Int(box.width.rounded()), image.width - x) & ~1
        let height = min(Int(box.height.rounded()), image.height - y) & ~1
        guard width >= 2, height >= 2 else {
            throw VigilError(.invalidArgument, "the crop \(box) keeps no pixels of the \(image.width)x\(image.height) picture")
        }
        do {
            // libjpeg's quality mapped onto FFmpeg's quantiser scale (2 best, 31 worst).
            let q = String(max(2, min(31, Int((Double(100 - quality) / 100 * 29).rounded()) + 2)))
            let encoder = try Encoder(codecName: "mjpeg", width: width, height: height, timeBase: vigil_rational(1, 25),
                                      frameRate: vigil_rational(25, 1), options: [("qmin", q), ("qmax", q)], threads: 1,
                                      globalHeader: false, pixelFormat: AV_PIX_FMT_YUVJ420P)
            let picture = try Frame()
            picture.pointer.pointee.width = Int32(width)
            picture.pointer.pointee.height = Int32(height)
            picture.pointer.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
            try ff("av_frame_get_buffer") { av_frame_get_buffer(picture.pointer, 0) }
            guard let converter = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_BGR24, Int32(width), Int32(height),
                                                 AV_PIX_FMT_YUVJ420P, SWS_BILINEAR, nil, nil, nil) else {
                throw MediaError(code: -22, message: "unsupported conversion", call: "sws_getContext")
            }
            defer { sws_freeContext(converter) }
            try picture.fill(from: UnsafeRawPointer(image.baseAddress + y * image.stride + x * image.format.bytesPerPixel), stride: image.stride,
                             height: height, converter: converter)
            picture.pointer.pointee.pts = 0
            _ = try encoder.send(picture)
            _ = try encoder.send(nil)
            defer { packet.unref() }
            guard case .value = try encoder.receive(into: packet), let data = packet.pointer.pointee.data else {
                throw MediaError(code: -1, message: "the encoder gave no picture", call: "avcodec_receive_packet")
            }
            return Array(UnsafeBufferPointer(start: data, count: Int(packet.pointer.pointee.size)))
        } catch let error as MediaError {
            throw VigilError(.io, "cannot encode the JPEG: \(error)")
        }
    }
}
