import Foundation
import Logging
public import VigilCore

/// The running `video` source. Demuxing and decoding run on a dedicated thread per source (FFmpeg's
/// reads block), handing messages to this stage's task through a small bounded hand-off.
public final class VideoSource: Stage {
    public let plan: VideoSourcePlan
    private let shutdown: ShutdownSignal

    public init(spec: VideoSourceSpec, context: StageContext) {
        plan = VideoSourcePlan(spec: spec, context: context)
        shutdown = context.shutdown
    }

    public func run(input: StageInput, output: StageOutput) async throws {
        let plan = self.plan
        let monitor = InterruptMonitor(timeout: plan.readerOptions.readTimeout, shutdown: shutdown)
        let handoff = FrameHandoff<Message>(capacity: plan.live ? 8 : 4, dropsOldest: plan.live) { monitor.stop() }
        let completion = ThreadCompletion()
        let thread = Thread {
            do {
                try VideoSourceWorker(plan: plan, monitor: monitor, handoff: handoff).run()
                handoff.finish(throwing: nil)
            } catch {
                handoff.finish(throwing: error)
            }
            completion.signal()
        }
        thread.name = "vigil.video.\(plan.sourceID)"
        thread.start()
        do {
            for try await message in handoff.stream {
                handoff.taken()
                try await output.send(message)
            }
        } catch {
            monitor.stop()
            handoff.close()
            await completion.wait()
            throw error
        }
        // Ended normally, or the task was cancelled: make sure the thread is gone before returning.
        monitor.stop()
        handoff.close()
        await completion.wait()
    }
}

/// Everything the decoding thread needs, decided from the spec and the pipeline context.
public struct VideoSourcePlan: Sendable {
    public var sourceID: String
    public var url: String
    public var readerOptions: VideoReaderOptions
    public var fps: Double?
    public var requirement: FrameRequirement?
    public var mode: ReconnectStateMachine.Mode
    public var policy: ReconnectStateMachine.Policy
    /// Live (network or looped): frames carry a capture time; the oldest waiting ones are dropped when downstream is behind.
    public var live: Bool
    /// Sleep to each frame's time (a looped file played as a live stream).
    public var paced: Bool
    var logger: Logger
    /// Where the worker announces how many frames a file will yield (for the progress bar's ETA).
    var progress: RunProgress

    public init(spec: VideoSourceSpec, context: StageContext) {
        sourceID = context.id
        progress = context.progress
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
        live = network || mode == .loop
        paced = mode == .loop
        var logger = context.logger
        logger[metadataKey: "stage.id"] = "\(context.id)"
        self.logger = logger
        if spec.loop && !stream {
            logger.info("loop: true applies in stream mode only; playing the file once", metadata: ["source.url": "\(url)"])
        }
    }
}
