internal import CFFmpeg
public import Foundation
public import VigilCore

/// How the transport of an `rtsp://` stream is carried.
public enum RTSPTransport: String, Sendable, CaseIterable, Hashable {
    case tcp, udp
}

/// Settings for opening and decoding one input.
public struct VideoReaderOptions: Sendable, Hashable {
    public var rtspTransport: RTSPTransport?
    /// Seconds without a packet after which a read fails (a stalled stream), also bounds opening.
    public var readTimeout: Double
    /// Decoder threads; `nil` uses one per core.
    public var threads: Int?
    /// Media time window in seconds: frames before `start` are decoded and dropped (files seek there
    /// first), decoding stops at the first frame at or after `end`.
    public var start: Double?
    public var end: Double?

    public init(rtspTransport: RTSPTransport? = nil, readTimeout: Double = 10, threads: Int? = nil,
                start: Double? = nil, end: Double? = nil) {
        self.rtspTransport = rtspTransport; self.readTimeout = readTimeout; self.threads = threads
        self.start = start; self.end = end
    }

    var resolvedThreads: Int { max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount) }
}

/// Reads the best video stream of a file or network URL, frame by frame: demux, frame-threaded
/// decode, timestamps in strictly increasing seconds, then on request a conversion straight into a
/// pooled image of the size and format a consumer needs. Owns every FFmpeg resource it uses; none
/// leaves it. Not thread-safe: one thread drives it.
public final class VideoReader {
    /// One decoded frame, whose pixels stay in the reader until the next call to ``next()``.
    public struct DecodedFrame: Sendable, Hashable {
        /// Number of the frame in the input (0-based), estimated from its time after a seek.
        public var index: Int
        /// Presentation time in seconds since the start of the stream, strictly increasing.
        public var time: Double
    }

    public let url: String
    /// A network stream rather than a file.
    public let isNetwork: Bool
    public let width: Int
    public let height: Int
    /// Average frame rate the container declares, if any.
    public let frameRate: Double?
    /// Duration of the input in seconds, when known.
    public let duration: Double?
    /// Number of frames the container declares, when it does.
    public let declaredFrameCount: Int?
    public let codecName: String
    public let formatName: String
    /// When the recording started, from the container's `creation_time` tag (``CreationTime``).
    public let creationTime: Date?
    /// Packets the decoder rejected (skipped) or the demuxer flagged as corrupt.
    public internal(set) var corruptPacketCount = 0
    /// Decoded frames the decoder marked as damaged (error concealment applied).
    public internal(set) var damagedFrameCount = 0
    /// Frames decoded, including those dropped before `start`.
    public internal(set) var decodedFrameCount = 0
    /// Whether reading stopped because the reader was asked to stop.
    public internal(set) var wasStopped = false

    let monitor: InterruptMonitor
    let options: VideoReaderOptions
    let demuxer: Demuxer
    let decoder: Decoder
    let streamIndex: Int
    let packet: Packet
    let frame: Frame
    let scaler: Scaler
    var normalizer: TimestampNormalizer
    let frameDuration: Double
    var draining = false
    /// The packet in `packet` still has to be sent (the decoder said EAGAIN).
    var packetPending = false
    var ended = false
    var seeked = false
    var indexBase: (index: Int, decoded: Int)?
    /// Number of the last frame returned (-1 before the first).
    var lastIndex = -1
    var lastCorruptMessage: String?

    /// Opens `url`. `shutdown` interrupts blocking reads when the pipeline is asked to stop.
    public convenience init(url: String, options: VideoReaderOptions = VideoReaderOptions(),
                            shutdown: ShutdownSignal? = nil) throws {
        try self.init(url: url, options: options, monitor: InterruptMonitor(timeout: options.readTimeout, shutdown: shutdown))
    }

    init(url: String, options: VideoReaderOptions, monitor: InterruptMonitor) throws(VigilError) {
        FFmpegSetup.once
        self.url = url
        self.options = options
        self.monitor = monitor
        isNetwork = Self.isNetworkURL(url)
        var openOptions: [(String, String)] = []
        if let transport = options.rtspTransport, url.lowercased().hasPrefix("rtsp") {
            openOptions.append(("rtsp_transport", transport.rawValue))
        }
        do {
            demuxer = try Demuxer(url: url, options: openOptions, monitor: monitor)
            try demuxer.findStreamInfo()
        } catch {
            throw MediaFailure.open(url, error, monitor: monitor)
        }
        let best: (index: Int, codec: UnsafePointer<AVCodec>)
        do {
            best = try demuxer.bestVideoStream()
        } catch {
            throw MediaFailure.noVideo(url, error, demuxer: demuxer)
        }
        streamIndex = best.index
        scaler = Scaler(threads: options.resolvedThreads)
        let stream = demuxer.stream(best.index)!
        do {
            decoder = try Decoder(stream: stream, codec: best.codec, threads: options.resolvedThreads)
            packet = try Packet()
            frame = try Frame()
        } catch {
            throw VigilError(.unsupportedCodec, "cannot open the \(String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id))) decoder",
                             subject: url, cause: error)
        }
        let par = stream.pointee.codecpar.pointee
        width = Int(par.width)
        height = Int(par.height)
        codecName = decoder.codecName
        formatName = demuxer.formatName
        creationTime = demuxer.metadata("creation_time", streamIndex: best.index).flatMap(CreationTime.parse)
        let rate = Self.rate(stream.pointee.avg_frame_rate) ?? Self.rate(stream.pointee.r_frame_rate)
        frameRate = rate
        frameDuration = rate.map { 1 / $0 } ?? 1.0 / 25
        let timeBase = stream.pointee.time_base
        let streamDuration = stream.pointee.duration
        duration = streamDuration > 0 && streamDuration != FFCode.noPTS
            ? Double(streamDuration) * Double(timeBase.num) / Double(timeBase.den) : demuxer.duration
        declaredFrameCount = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
        let startTime = stream.pointee.start_time
        normalizer = TimestampNormalizer(timeBase: Double(timeBase.num) / Double(timeBase.den),
                                         origin: startTime == FFCode.noPTS ? nil : startTime,
                                         nominalFrameDuration: frameDuration)
        guard width > 0, height > 0 else {
            throw VigilError(.mediaOpen, "the video stream has no picture size; the input is damaged", subject: url)
        }
        if let start = options.start, start > 0, !isNetwork {
            seek(to: start, startTime: startTime == FFCode.noPTS ? 0 : startTime, timeBase: timeBase)
        }
    }

    /// Decodes up to the next frame inside the window; `nil` at the end (or when stopped).
    public func next() throws -> DecodedFrame? {
        while !ended {
            guard try decodeOne() else {
                ended = true
                try checkComplete()
                return nil
            }
            decodedFrameCount += 1
            let f = frame.pointer.pointee
            let pts = f.best_effort_timestamp != FFCode.noPTS ? f.best_effort_timestamp
                : (f.pts != FFCode.noPTS ? f.pts : nil)
            let time = normalizer.seconds(pts: pts, duration: vigil_frame_duration(frame.pointer))
            if let start = options.start, time < start - 1e-6 { continue }
            if let end = options.end, time >= end - 1e-6 {
                ended = true
                return nil
            }
            if !seeked {
                lastIndex = decodedFrameCount - 1
                return DecodedFrame(index: lastIndex, time: time)
            }
            // After a seek the frames before are unknown: number from the time of the first one.
            if indexBase == nil { indexBase = (Int((time / frameDuration).rounded()), decodedFrameCount) }
            let base = indexBase!
            lastIndex = base.index + decodedFrameCount - base.decoded
            return DecodedFrame(index: lastIndex, time: time)
        }
        return nil
    }

    /// A pooled image of the current frame, converted to `requirement`.
    public func makeImage(_ requirement: FrameRequirement, pool: FramePool) throws -> FrameImage {
        let size = requirement.outputSize(sourceWidth: frameWidth, sourceHeight: frameHeight)
        let image = pool.makeImage(width: size.width, height: size.height, format: requirement.pixelFormat)
        try convert(into: image)
        return image
    }

    /// Converts the current frame into `image` (its size and format decide the conversion).
    public func convert(into image: FrameImage) throws {
        do { try scaler.convert(frame, into: image) } catch {
            throw VigilError(.mediaDecode, "cannot convert frames to \(image.format.rawValue) \(image.width)x\(image.height)", subject: url, cause: error)
        }
    }

    /// Size of the current frame (a stream may change resolution midway; annotations use this).
    public var frameWidth: Int { frame.pointer.pointee.width > 0 ? Int(frame.pointer.pointee.width) : width }
    public var frameHeight: Int { frame.pointer.pointee.height > 0 ? Int(frame.pointer.pointee.height) : height }

    static func isNetworkURL(_ url: String) -> Bool {
        guard let range = url.range(of: "://") else { return false }
        return url[..<range.lowerBound].lowercased() != "file"
    }

    static func rate(_ r: AVRational) -> Double? {
        r.num > 0 && r.den > 0 ? Double(r.num) / Double(r.den) : nil
    }
}
