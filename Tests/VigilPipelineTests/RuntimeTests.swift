import Foundation
import Synchronization
import Testing
import VigilCore
import VigilPipeline
import VigilTesting

@Suite("DAG runtime")
struct RuntimeTests {
    func run(_ yaml: String, mode: RunMode = .batch, capacity: Int = 4) async throws -> RunSummary {
        let spec = try load(yaml)
        let runner = PipelineRunner(spec: spec, options: RunOptions(mode: mode, channelCapacity: capacity))
        return try await runner.run()
    }

    @Test func fanInMergesCamerasInTimestampOrder() async throws {
        let log = uniqueLogName()
        let summary = try await run("""
        sources:
          slow_cam:
            type: synthetic
            frames: 30
            fps: 3
          fast_cam:
            type: synthetic
            frames: 100
            fps: 10
            start: 0.05
        stages:
          merge:
            type: relay
            inputs: [slow_cam, fast_cam]
        sinks:
          out:
            type: collect
            inputs: [merge]
            log: \(log)
        """)
        #expect(summary.status == .completed)
        let frames = MessageLog.named(log).frames
        #expect(frames.count == 130)
        let times = frames.map(\.info.time.seconds)
        #expect(times == times.sorted())
        #expect(frames.filter { $0.info.sourceID == "slow_cam" }.map(\.info.index) == Array(0..<30))
        #expect(frames.filter { $0.info.sourceID == "fast_cam" }.map(\.info.index) == Array(0..<100))
    }

    @Test func fanOutDeliversEverythingToEveryConsumer() async throws {
        let a = uniqueLogName(), b = uniqueLogName()
        let summary = try await run("""
        sources:
          cam:
            type: synthetic
            frames: 50
        sinks:
          first:
            type: collect
            inputs: [cam]
            log: \(a)
          second:
            type: collect
            inputs: [cam]
            log: \(b)
        """)
        #expect(summary.status == .completed)
        #expect(MessageLog.named(a).frames.map(\.info.index) == Array(0..<50))
        #expect(MessageLog.named(b).frames.map(\.info.index) == Array(0..<50))
        #expect(summary.framesBySource["cam"] == 50)
    }

    @Test func slowSinkBoundsEveryChannel() async throws {
        let log = uniqueLogName()
        let capacity = 3
        let summary = try await run("""
        sources:
          cam:
            type: synthetic
            frames: 60
            width: 320
            height: 240
        stages:
          r:
            type: relay
            inputs: [cam]
        sinks:
          slow:
            type: collect
            inputs: [r]
            log: \(log)
            delay: 5ms
            pixels: true
        """, capacity: capacity)
        #expect(summary.status == .completed)
        #expect(MessageLog.named(log).frames.count == 60)
        for stage in summary.stages {
            #expect(stage.inputHighWater <= capacity, "stage \(stage.id) buffered \(stage.inputHighWater)")
        }
        // The slow sink's input filled up: the source was held back instead of running ahead.
        #expect(summary.stages.first { $0.id == "slow" }?.inputHighWater == capacity)
    }

    @Test func failingSourceDrainsWhatItProducedAndFailsTheRun() async throws {
        let log = uniqueLogName()
        let summary = try await run("""
        sources:
          cam:
            type: synthetic
            frames: 100
            fail_after: 40
        sinks:
          out:
            type: collect
            inputs: [cam]
            log: \(log)
        """)
        #expect(summary.status == .failed)
        #expect(summary.errors.count == 1)
        #expect(summary.errors[0].contains("synthetic failure after 40 frames"))
        // Everything produced before the failure reached the sink, which finished normally.
        #expect(MessageLog.named(log).frames.count == 40)
        #expect(MessageLog.named(log).didFinish)
    }

    @Test func failingSinkDoesNotBlockTheOtherBranch() async throws {
        let good = uniqueLogName(), bad = uniqueLogName()
        let summary = try await run("""
        sources:
          cam:
            type: synthetic
            frames: 200
        sinks:
          bad:
            type: collect
            inputs: [cam]
            log: \(bad)
            fail_after: 5
          good:
            type: collect
            inputs: [cam]
            log: \(good)
        """, capacity: 2)
        #expect(summary.status == .failed)
        #expect(MessageLog.named(good).frames.count == 200)
        #expect(MessageLog.named(bad).frames.count == 5)
    }

    @Test func streamModeStopsOnShutdownAndFlushes() async throws {
        let log = uniqueLogName()
        let spec = try load("""
        sources:
          live:
            type: synthetic
            frames: 0
            pace: 5ms
        sinks:
          out:
            type: collect
            inputs: [live]
            log: \(log)
        """)
        let runner = PipelineRunner(spec: spec, options: RunOptions(mode: .stream, channelCapacity: 4))
        async let summary = runner.run()
        do {
            try await waitUntil("20 frames in the sink", timeout: .seconds(180)) { MessageLog.named(log).frames.count >= 20 }
        } catch {
            runner.shutdown.request()   // end the run before failing, so that the test does not hang on it
            _ = try await summary
            throw error
        }
        runner.shutdown.request()
        let result = try await summary
        #expect(result.status == .stopped)
        #expect(MessageLog.named(log).didFinish)
        #expect(MessageLog.named(log).frames.count == result.framesBySource["live"])
    }

    @Test func metricsCountEveryStage() async throws {
        let log = uniqueLogName()
        let summary = try await run("""
        sources:
          cam:
            type: synthetic
            frames: 25
        stages:
          r:
            type: relay
            inputs: [cam]
        sinks:
          out:
            type: collect
            inputs: [r]
            log: \(log)
        """)
        let relay = try #require(summary.stages.first { $0.id == "r" })
        #expect(relay.received == 25 && relay.sent == 25 && relay.framesReceived == 25)
        #expect(relay.latency?.count == 25)
        let json = try JSONSerialization.jsonObject(with: summary.json()) as? [String: Any]
        #expect((json?["stages"] as? [[String: Any]])?.count == 3)
    }

    @Test func transformsForwardEventsToSinksThatAcceptThem() async throws {
        let log = uniqueLogName()
        let summary = try await run("""
        sources:
          cam:
            type: synthetic
            frames: 20
            event_every: 5
        stages:
          r:
            type: relay
            inputs: [cam]
        sinks:
          out:
            type: collect
            inputs: [r]
            log: \(log)
        """)
        #expect(summary.status == .completed)
        #expect(MessageLog.named(log).frames.count == 20)
        #expect(MessageLog.named(log).events.map(\.message) == ["after frame 4", "after frame 9", "after frame 14", "after frame 19"])
    }

    @Test func unknownInputOverrideIsAnError() async throws {
        let spec = try load("""
        sources:
          cam:
            type: synthetic
        sinks:
          out:
            type: collect
            inputs: [cam]
            log: x
        """)
        let runner = PipelineRunner(spec: spec, options: RunOptions(inputOverrides: ["nope": "a.mp4"]))
        await #expect(throws: VigilError.self) { try await runner.run() }
    }
}

@Suite("Bounded channel")
struct BoundedChannelTests {
    static func frame(_ i: Int) -> Message {
        .frame(AnnotatedFrame(info: FrameInfo(sourceID: "s", index: i, time: MediaTime(seconds: Double(i)),
                                              sourceWidth: 2, sourceHeight: 2), image: nil))
    }

    @Test func blocksWhenFullAndDeliversInOrder() async throws {
        let channel = BoundedChannel(capacity: 2)
        async let produced: Void = {
            for i in 0..<100 { try await channel.send(Self.frame(i)) }
            channel.finishProducer()
        }()
        var received: [Int] = []
        while let message = await channel.receive() {
            if case .frame(let f) = message { received.append(f.info.index) }
            if received.count % 10 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        try await produced
        #expect(received == Array(0..<100))
        #expect(channel.highWaterMark <= 2)
    }

    @Test func dropOldestKeepsTheNewest() async throws {
        let channel = BoundedChannel(capacity: 3, policy: .dropOldest)
        for i in 0..<10 { try await channel.send(Self.frame(i)) }
        channel.finishProducer()
        var received: [Int] = []
        while case .frame(let f)? = await channel.receive() { received.append(f.info.index) }
        #expect(received == [7, 8, 9])
        #expect(channel.droppedCount == 7)
    }

    /// A send on its own task, observable from the test: whether it has started and what it returned.
    final class PendingSend: Sendable {
        let started = Atomic<Bool>(false)
        let result = Mutex<Bool?>(nil)

        static func start(_ message: Message, to channel: BoundedChannel) -> PendingSend {
            let pending = PendingSend()
            Task {
                pending.started.store(true, ordering: .releasing)
                let delivered = try await channel.send(message)
                pending.result.withLock { $0 = delivered }
            }
            return pending
        }

        var isDone: Bool { result.withLock { $0 != nil } }

        /// Gives the send every chance to complete (it runs, then many turns of the scheduler) and
        /// reports whether it is still waiting: a send that should block but does not is caught here.
        func isBlocked() async throws -> Bool {
            try await waitUntil("the sender to start") { started.load(ordering: .acquiring) }
            for _ in 0..<50 where !isDone {
                await Task.yield()
                try await Task.sleep(for: .milliseconds(1))
            }
            return !isDone
        }
    }

    @Test func fullChannelBlocksTheSenderUntilTheConsumerTakes() async throws {
        let channel = BoundedChannel(capacity: 1)
        try await channel.send(Self.frame(0))
        let pending = PendingSend.start(Self.frame(1), to: channel)
        #expect(try await pending.isBlocked(), "a send into a full channel returned")
        guard case .frame(let first)? = await channel.receive() else { Issue.record("expected frame 0"); return }
        #expect(first.info.index == 0)
        try await waitUntil("the blocked send to complete") { pending.isDone }
        #expect(pending.result.withLock { $0 } == true)
        guard case .frame(let second)? = await channel.receive() else { Issue.record("expected frame 1"); return }
        #expect(second.info.index == 1)
    }

    @Test func closedConsumerReleasesBlockedSenders() async throws {
        let channel = BoundedChannel(capacity: 1)
        try await channel.send(Self.frame(0))
        let pending = PendingSend.start(Self.frame(1), to: channel)
        #expect(try await pending.isBlocked(), "a send into a full channel returned")
        channel.closeConsumer()
        try await waitUntil("the blocked send to be released") { pending.isDone }
        #expect(pending.result.withLock { $0 } == false, "the message was discarded, not delivered")
    }

    @Test func endOfStreamAfterAllProducers() async {
        let channel = BoundedChannel(capacity: 4, producers: 2)
        channel.finishProducer()
        async let end = channel.receive()
        channel.finishProducer()
        #expect(await end == nil)
    }
}
