import Logging
import VigilCore

/// Everything the decoding thread needs, decided from the spec and the pipeline context.
struct VideoSourcePlan: Sendable {
    var sourceID: String
    var url: String
    var readerOptions: VideoReaderOptions
    var fps: Double?
    var requirement: FrameRequirement?
    var mode: ReconnectStateMachine.Mode
    var policy: ReconnectStateMachine.Policy
    /// Live (network or looped): frames carry a capture time, and the hand-off drops rather than waits by default.
    var live: Bool
    /// Sleep to each frame's time (a looped file played as a live stream).
    var paced: Bool
    /// The hand-off from the decoding thread (`buffer:`): live sources keep 8 messages and drop the
    /// oldest frame when downstream is behind; files keep 4 and wait.
    var buffer: (capacity: Int, policy: OverflowPolicy)
    /// Counts dropped frames in the run's `vigil_stage_dropped_total{stage}`.
    var countDropped: @Sendable (Int) -> Void
    var logger: Logger
    /// Where the worker announces how many frames a file will yield (for the progress bar's ETA) and
    /// that a file was truncated.
    var progress: RunProgress
    /// A live camera taken over from another worker: the gap is reported before the first frame.
    var handover: Handover?
    /// The job's `on_truncated`, else the source's.
    var onTruncated: TruncationPolicy

    init(spec: VideoSourceSpec, context: StageContext) {
        sourceID = context.id
        progress = context.progress
        onTruncated = context.runPolicy.onTruncated ?? spec.onTruncated
        url = spec.resolvedURL(context: context)
        let network = VideoReader.isNetworkURL(url)
        readerOptions = VideoReaderOptions(rtspTransport: spec.rtspTransport, readTimeout: spec.readTimeout,
                                           threads: spec.threads,
                                           start: context.window.start ?? spec.start, end: context.window.end ?? spec.end)
        fps = spec.fps
        requirement = spec.requirement(context: context)
        policy = spec.reconnect
        let stream = context.mode == .stream
        if stream && network {
            mode = .live
        } else if stream && spec.loop && !network {
            mode = .loop
        } else {
            mode = .once
        }
        paced = mode == .loop || (stream && spec.paced && !network)
        live = network || paced
        handover = live ? context.runPolicy.handover : nil
        buffer = (context.buffer.maxEvents ?? (live ? 8 : 4), context.buffer.whenFull ?? (live ? .dropOldest : .block))
        countDropped = context.countDropped
        var logger = context.logger
        logger[metadataKey: "stage.id"] = "\(context.id)"
        self.logger = logger
        if spec.loop && !stream {
            logger.info("loop: true applies in stream mode only; playing the file once", metadata: ["source.url": "\(url)"])
        }
    }
}
