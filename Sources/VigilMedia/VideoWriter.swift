internal import CFFmpeg
public import VigilCore

/// Encodes BGR24 pictures to H.264 (libx264 through libavcodec) in an MP4 file, each at the time it is
/// given, so that the output keeps the source's timing: the same frames at the same times, the last one
/// lasting one frame. Owns its encoder, muxer, conversion and picture; the file is complete after
/// ``finish()``.
public final class VideoWriter {
    public struct Settings: Sendable, Hashable {
        /// libx264 preset (ultrafast ... veryslow).
        public var preset: String
        /// Constant rate factor: 0 (lossless) to 51; 23 is x264's default.
        public var crf: Int
        /// Encoder threads (0: libx264 decides).
        public var threads: Int
        public init(preset: String = "veryfast", crf: Int = 23, threads: Int = 0) {
            self.preset = preset; self.crf = crf; self.threads = threads
        }
    }

    public let path: String
    public let width: Int
    public let height: Int
    public private(set) var framesWritten = 0
    private let muxer: Muxer
    private let encoder: Encoder
    private let stream: UnsafeMutablePointer<AVStream>
    private let picture: Frame
    private let packet: Packet
    private let ticksPerSecond: Double
    private var converter: OpaquePointer?
    private var lastPTS: Int64 = -1
    /// Ticks between the last two frames: the duration of each packet when frames have no fixed rate.
    private var lastStep: Int64 = 1
    private var finished = false

    /// - Parameters:
    ///   - frameRate: the source's frame rate when constant (the time base becomes 1/rate and each
    ///     frame lasts one tick); `nil` for variable-rate input (times in 1/90000 s).
    public init(path: String, width: Int, height: Int, frameRate: (num: Int, den: Int)?, settings: Settings = Settings()) throws {
        FFmpegSetup.once
        self.path = path
        // 4:2:0 needs even sizes: an odd last row or column is dropped.
        self.width = width & ~1
        self.height = height & ~1
        let timeBase = frameRate.map { vigil_rational(Int32($0.den), Int32($0.num)) } ?? vigil_rational(1, 90_000)
        ticksPerSecond = Double(timeBase.den) / Double(timeBase.num)
        let rate = frameRate.map { vigil_rational(Int32($0.num), Int32($0.den)) } ?? vigil_rational(0, 1)
        do {
            let (w, h) = (width & ~1, height & ~1)
            let muxer = try Muxer(path: path, format: "mp4")
            let encoder = try Encoder(codecName: "libx264", width: w, height: h, timeBase: timeBase,
                                      frameRate: rate, options: [("preset", settings.preset), ("crf", String(settings.crf))],
                                      threads: settings.threads, globalHeader: muxer.needsGlobalHeader)
            let stream = try muxer.addStream()
            try ff("avcodec_parameters_from_context") { avcodec_parameters_from_context(stream.pointee.codecpar, encoder.context) }
            stream.pointee.time_base = timeBase
            stream.pointee.avg_frame_rate = rate
            try muxer.start()
            let picture = try Frame()
            picture.pointer.pointee.width = Int32(w)
            picture.pointer.pointee.height = Int32(h)
            picture.pointer.pointee.format = AV_PIX_FMT_YUV420P.rawValue
            try ff("av_frame_get_buffer") { av_frame_get_buffer(picture.pointer, 0) }
            self.muxer = muxer; self.encoder = encoder; self.stream = stream; self.picture = picture
            self.packet = try Packet()
        } catch {
            throw VigilError(.io, "cannot start an H.264/MP4 encoder (libx264): \(error)", subject: path)
        }
    }

    deinit { sws_freeContext(converter) }

    /// Encodes `image` (BGR24, at least the writer's size) shown at `time` seconds from the start.
    public func write(_ image: FrameImage, time: Double) throws {
        guard image.format == .bgr24 else {
            throw VigilError(.invalidArgument, "the encoder takes BGR24 pictures, got \(image.format.rawValue)")
        }
        do {
            if converter == nil {
                converter = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_BGR24, Int32(width), Int32(height),
                                           AV_PIX_FMT_YUV420P, SWS_BILINEAR, nil, nil, nil)
                guard converter != nil else { throw MediaError(code: -22, message: "unsupported conversion", call: "sws_getContext") }
            }
            try ff("av_frame_make_writable") { av_frame_make_writable(picture.pointer) }
            try picture.fill(from: UnsafeRawPointer(image.baseAddress), stride: image.stride, height: height, converter: converter!)
            var pts = Int64((time * ticksPerSecond).rounded())
            if pts <= lastPTS { pts = lastPTS + 1 }   // times must increase
            if lastPTS >= 0 { lastStep = pts - lastPTS }
            lastPTS = pts
            picture.pointer.pointee.pts = pts
            _ = try encoder.send(picture)
            try drain()
            framesWritten += 1
        } catch let error as MediaError {
            throw VigilError(.io, "cannot encode frame \(framesWritten): \(error)", subject: path)
        }
    }

    /// Flushes the encoder and completes the file.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        do {
            _ = try encoder.send(nil)
            try drain()
            try muxer.finish()
        } catch {
            throw VigilError(.io, "cannot complete the MP4 file: \(error)", subject: path)
        }
    }

    private func drain() throws(MediaError) {
        while case .value = try encoder.receive(into: packet) {
            // One frame: one tick at a fixed rate, else the last interval between frames.
            packet.pointer.pointee.duration = ticksPerSecond == 90_000 ? lastStep : 1
            av_packet_rescale_ts(packet.pointer, encoder.context.pointee.time_base, stream.pointee.time_base)
            packet.pointer.pointee.stream_index = stream.pointee.index
            try muxer.write(packet)   // takes the packet's reference
        }
    }
}
