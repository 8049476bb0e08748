import Foundation
import Logging
import VigilCore

/// The running `video` source. Demuxing and decoding run on a dedicated thread per source (FFmpeg's
/// reads block), handing messages to this stage's task through a small bounded hand-off.
final class VideoSource: Stage {
    private(set) var plan: VideoSourcePlan
    private let shutdown: ShutdownSignal

    init(spec: VideoSourceSpec, context: StageContext) {
        plan = VideoSourcePlan(spec: spec, context: context)
        shutdown = context.shutdown
    }

    /// A recorded file played once seeks to a checkpoint mark (its frames there decode exactly as in an
    /// undisturbed run). `fps:` sampling replays: its grid starts at the first frame the file yields.
    var resumeSupport: ResumeSupport {
        plan.mode == .once && !VideoReader.isNetworkURL(plan.url) && plan.fps == nil ? .seeks : .replay
    }

    func resume(at point: ResumePoint) throws {
        plan.readerOptions.start = max(plan.readerOptions.start ?? 0, point.mark)
    }

    func run(input: StageInput, output: StageOutput) async throws {
        let plan = self.plan
        let monitor = InterruptMonitor(timeout: plan.readerOptions.readTimeout, shutdown: shutdown)
        let handoff = FrameHandoff<Message>(capacity: plan.buffer.capacity, policy: plan.buffer.policy) { monitor.stop() }
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
