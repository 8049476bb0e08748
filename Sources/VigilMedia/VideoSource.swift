import Foundation
import Logging
import VigilCore

/// The running `video` source. Demuxing and decoding run on a dedicated thread per source (FFmpeg's
/// reads block), handing messages to this stage's task through a small bounded hand-off.
final class VideoSource: Stage {
    let plan: VideoSourcePlan
    private let shutdown: ShutdownSignal

    init(spec: VideoSourceSpec, context: StageContext) {
        plan = VideoSourcePlan(spec: spec, context: context)
        shutdown = context.shutdown
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
