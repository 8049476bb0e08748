import Foundation
public import VigilCore

/// `type: video` — reads a video file or network stream and emits its decoded frames.
///
/// ```yaml
/// sources:
///   door:
///     type: video
///     url: rtsp://cam1/stream      # or a file path, http(s)://, tcp://, udp://
///     rtsp_transport: tcp
///     fps: 5                       # sample by timestamp
///     read_timeout: 10s
///     reconnect: { initial_delay: 500ms, max_delay: 30s }
///     loop: false                  # files in stream mode: play again from the start at the end
///     paced: false                 # files in stream mode: at their own frame rate (loop implies it)
///     on_truncated: complete       # a file cut short: complete (the run is `truncated`) | fail
/// ```
public struct VideoSourceSpec: StageSpec {
    public static let typeName = "video"
    public static let role = StageRole.source
    public static let summary = "reads a video file or a network stream (rtsp, http, tcp, udp) and emits decoded frames"
    public static let schemes: Set<String> = ["file", "rtsp", "rtsps", "rtmp", "http", "https", "tcp", "udp", "srt"]

    public var url: String
    /// Frames per second to keep, sampled by timestamp; `nil` keeps every frame.
    public var fps: Double?
    public var start: Double?
    public var end: Double?
    /// Play a file as a live stream at its own frame rate, restarting at the end (stream mode).
    public var loop: Bool
    /// Play a file at its own frame rate, once, as a camera would deliver it (stream mode).
    public var paced = false
    public var rtspTransport: RTSPTransport?
    public var readTimeout: Double
    public var reconnect: ReconnectStateMachine.Policy
    /// Decoder threads; `nil` uses one per core.
    public var threads: Int?
    /// Pixels to produce regardless of what the consumers ask for.
    public var pixelFormat: PixelFormat?
    public var width: Int?
    public var height: Int?
    /// A file that ends before its container says it should: end there (the run is recorded as
    /// `truncated`) or fail. A job file's `on_truncated` wins.
    public var onTruncated = TruncationPolicy.complete

    public var inputPorts: Set<PortType> { [] }
    public var sourceURL: String? { url }
    /// Frames, plus `stream_gap` events (as `.event` messages) when a live stream reconnects.
    public var outputPort: PortType? { .frames }
    /// Frames, and `stream_gap` events when a live input reconnects.
    public var outputPorts: Set<PortType> { [.frames, .events] }

    public init(url: String, fps: Double? = nil, start: Double? = nil, end: Double? = nil, loop: Bool = false,
                rtspTransport: RTSPTransport? = nil, readTimeout: Double = 10,
                reconnect: ReconnectStateMachine.Policy = .init(), threads: Int? = nil,
                pixelFormat: PixelFormat? = nil, width: Int? = nil, height: Int? = nil) {
        self.url = url; self.fps = fps; self.start = start; self.end = end; self.loop = loop
        self.rtspTransport = rtspTransport; self.readTimeout = readTimeout; self.reconnect = reconnect
        self.threads = threads; self.pixelFormat = pixelFormat; self.width = width; self.height = height
    }

    public init(config: ConfigReader) {
        if !config.has("url") { config.missing("url") }
        url = config.url("url", schemes: Self.schemes) ?? ""
        fps = config.rate("fps")
        start = config.duration("start")
        end = config.duration("end")
        if let start, let end, end <= start {
            config.error("'end' (\(end) s) must be after 'start' (\(start) s)", at: config.raw("end")?.location)
        }
        loop = config.bool("loop") ?? false
        paced = config.bool("paced") ?? false
        rtspTransport = config.choice("rtsp_transport", as: RTSPTransport.self)
        readTimeout = config.duration("read_timeout") ?? 10
        if readTimeout <= 0 { config.error("'read_timeout' must be longer than 0 s", at: config.raw("read_timeout")?.location) }
        var policy = ReconnectStateMachine.Policy()
        if let nested = config.nested("reconnect") {
            policy.initialDelay = nested.duration("initial_delay") ?? policy.initialDelay
            policy.maxDelay = nested.duration("max_delay") ?? policy.maxDelay
            policy.multiplier = nested.double("multiplier", in: 1...10) ?? policy.multiplier
            policy.jitter = nested.double("jitter", in: 0...1) ?? policy.jitter
            if policy.maxDelay < policy.initialDelay {
                nested.error("'max_delay' must be at least 'initial_delay'", at: nested.raw("max_delay")?.location)
            }
            nested.finish()
        }
        reconnect = policy
        let threadCount = config.int("threads", in: 0...256)
        threads = threadCount == 0 ? nil : threadCount
        pixelFormat = config.choice("pixel_format", as: PixelFormat.self)
        width = config.int("width", in: 2...16384)
        height = config.int("height", in: 2...16384)
        onTruncated = config.choice("on_truncated", as: TruncationPolicy.self) ?? .complete
        config.finish()
    }

    /// The input after `--input` overrides, resolved against the pipeline file's folder.
    public func resolvedURL(context: StageContext) -> String {
        context.resolvePath(context.inputOverride ?? url)
    }

    /// The pixels to produce: the consumers' requirement, with this source's overrides applied.
    public func requirement(context: StageContext) -> FrameRequirement? {
        let needed = context.frameRequirement
        guard pixelFormat != nil || width != nil || height != nil else { return needed }
        return FrameRequirement(pixelFormat: pixelFormat ?? needed?.pixelFormat ?? .bgr24,
                                maxWidth: width ?? needed?.maxWidth, maxHeight: height ?? needed?.maxHeight)
    }

    /// A file input must exist and open as video before any source starts; network streams are
    /// checked when they connect (they may come up later in stream mode).
    public func preflight(context: StageContext) async throws {
        let url = resolvedURL(context: context)
        guard !VideoReader.isNetworkURL(url) else { return }
        _ = try VideoReader(url: url, options: VideoReaderOptions(readTimeout: readTimeout, threads: 1))
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        VideoSource(spec: self, context: context)
    }
}
