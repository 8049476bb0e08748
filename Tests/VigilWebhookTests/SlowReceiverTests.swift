import Foundation
import Testing
import VigilCore
import VigilPipeline
import VigilTesting

/// A receiver that takes 10 s per request must not slow the frames: the sink's run loop only enqueues.
/// Checked by what happened, not by the clock (bench/webhook measures frames/s).
@Suite("Webhook with a slow receiver")
struct SlowReceiverTests {
    func pipeline(webhook: String?, log: String) -> String {
        var yaml = """
        sources:
          cam:
            type: synthetic
            frames: 400
        stages:
          alerts:
            type: relay
            inputs: [cam]
            event_every: 2
        sinks:
          frames:
            type: collect
            inputs: [alerts]
            log: \(log)
        """
        if let webhook { yaml += "\n" + webhook }
        return yaml
    }

    func webhook(url: String, deadLetter: String, queue: Int) -> String {
        """
          hook:
            type: webhook
            inputs: [alerts]
            url: \(url)
            secret: ${VIGIL_WEBHOOK_SECRET}
            dead_letter: \(deadLetter)
            queue: \(queue)
            concurrency: 2
            timeout: 30s
            drain_timeout: 300ms
        """
    }

    func counter(_ metrics: PipelineMetrics, _ name: String, _ extra: [(String, String)] = []) -> Int {
        Int(metrics.counterValue("vigil_webhook_\(name)_total", [("stage", "hook")] + extra))
    }

    @Test(arguments: [1000, 10])
    func theQueueTakesEveryEventAndThePipelineFinishes(queue: Int) async throws {
        let receiver = try await HTTPReceiver.start { _, _ in HTTPReceiver.Response(delay: 10) }
        let dir = try scratchDirectory()
        let withoutLog = "slow-without-\(UInt64.random(in: 0...UInt64.max))", withLog = "slow-with-\(UInt64.random(in: 0...UInt64.max))"

        let (without, _) = try await run(pipeline(webhook: nil, log: withoutLog))
        let (with, metrics) = try await run(pipeline(
            webhook: webhook(url: receiver.url, deadLetter: "\(dir)/dead.jsonl", queue: queue), log: withLog))
        await receiver.shutdown()

        // The pipeline finished, and every frame reached the other sink, as without the webhook.
        #expect(without.status == .completed && with.status == .completed, "\(with.errors)")
        let frames = MessageLog.named(withLog).frames
        #expect(MessageLog.named(withLog).didFinish)
        #expect(frames.count == 400)
        #expect(frames.map(\.info.index) == MessageLog.named(withoutLog).frames.map(\.info.index))
        #expect(MessageLog.named(withLog).events.count == 200)

        // The webhook took every event without waiting for the receiver: what did not fit in the queue
        // went to the dead letter at once, the rest when the drain time was up.
        let hook = try #require(with.stages.first { $0.id == "hook" })
        #expect(hook.received == 200 && hook.error == nil)
        #expect(counter(metrics, "enqueued") == 200)
        let overflow = counter(metrics, "dead_lettered", [("reason", "queue_full")])
        let unfinished = counter(metrics, "dead_lettered", [("reason", "run_ended")])
        #expect(overflow == 200 - min(queue, 200))
        #expect(unfinished + counter(metrics, "delivered") == min(queue, 200))
        let letters = try jsonLines("\(dir)/dead.jsonl")
        #expect(letters.count == overflow + unfinished)
        #expect(Set(letters.compactMap { $0["delivery"] as? String }).count == letters.count)
    }
}
