import Synchronization
import Testing
import VigilCore
import VigilPipeline
import VigilTesting

@Suite("Edge buffers: capacity and overflow policy")
struct BufferPolicyTests {
    static func frame(_ i: Int) -> Message {
        .frame(AnnotatedFrame(info: FrameInfo(sourceID: "cam", index: i, time: MediaTime(seconds: Double(i)),
                                              sourceWidth: 8, sourceHeight: 8), image: nil))
    }

    static func event(_ i: Int) -> Message {
        .event(Event(time: MediaTime(seconds: Double(i)), sourceID: "cam", rule: "r", kind: "tick", message: "\(i)"))
    }

    static func drain(_ channel: BoundedChannel) async -> [String] {
        var out: [String] = []
        while let message = await channel.receive() {
            switch message {
            case .frame(let f): out.append("f\(f.info.index)")
            case .event(let e): out.append("e\(e.message)")
            case .row: out.append("row")
            }
        }
        return out
    }

    /// Waits until `condition` holds, failing the test (not hanging) after `seconds`.
    static func eventually(within seconds: Double = 10, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "condition not reached within \(seconds) s")
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test func dropNewestKeepsTheFirstFramesAndCountsEveryDrop() async throws {
        let drops = Atomic<Int>(0)
        let channel = BoundedChannel(capacity: 3, policy: .dropNewest, onDrop: { drops.add(1, ordering: .relaxed) })
        for i in 0..<10 { #expect(try await channel.send(Self.frame(i))) }
        channel.finishProducer()
        #expect(await Self.drain(channel) == ["f0", "f1", "f2"])
        #expect(channel.droppedCount == 7)
        #expect(drops.load(ordering: .relaxed) == 7)
    }

    @Test func dropOldestNeverDropsEventsAndTheyTakeAFramesPlace() async throws {
        let drops = Atomic<Int>(0)
        let channel = BoundedChannel(capacity: 3, policy: .dropOldest, onDrop: { drops.add(1, ordering: .relaxed) })
        for message in [Self.frame(0), Self.event(1), Self.frame(2), Self.frame(3), Self.event(4), Self.frame(5)] {
            try await channel.send(message)
        }
        channel.finishProducer()
        // f0 went for f3, f2 for the event 4, f3 for f5: the events stay, in order.
        #expect(await Self.drain(channel) == ["e1", "e4", "f5"])
        #expect(drops.load(ordering: .relaxed) == 3)
    }

    @Test func anEventWaitsForRoomWhateverThePolicy() async throws {
        for policy in [OverflowPolicy.dropNewest, .dropOldest] {
            let channel = BoundedChannel(capacity: 2, policy: policy)
            try await channel.send(Self.event(0))
            try await channel.send(Self.event(1))
            let third = Task { try await channel.send(Self.event(2)) }
            try await Self.eventually { channel.waitingSenders == 1 }
            #expect(await channel.receive() != nil)
            #expect(try await third.value)
            channel.finishProducer()
            #expect(await Self.drain(channel) == ["e1", "e2"])
            #expect(channel.droppedCount == 0)
        }
    }

    func runSlowSink(buffer: String) async throws -> (summary: RunSummary, log: MessageLog, metric: Double) {
        let log = uniqueLogName()
        let spec = try load("""
        sources:
          cam:
            type: synthetic
            frames: 200
            event_every: 20
        sinks:
          out:
            type: collect
            inputs: [cam]
            log: \(log)
            delay: 2ms
        \(buffer)
        """)
        let metrics = PipelineMetrics()
        let runner = PipelineRunner(spec: spec, options: RunOptions(mode: .batch, channelCapacity: 4), metrics: metrics)
        let summary = try await runner.run()
        return (summary, MessageLog.named(log), metrics.counterValue("vigil_stage_dropped_total", [("stage", "out")]))
    }

    @Test func aSinkWithDropNewestDropsFramesCountedInTheMetricAndTheSummary() async throws {
        let (summary, log, metric) = try await runSlowSink(buffer: """
            buffer:
              max_events: 2
              when_full: drop_newest
        """)
        #expect(summary.status == .completed)
        let out = try #require(summary.stages.first { $0.id == "out" })
        #expect(out.dropped > 0, "a sink 2 ms per message behind a source that never waits must drop")
        #expect(Double(out.dropped) == metric)
        #expect(log.frames.count + out.dropped == 200)
        #expect(log.events.count == 10, "events are never dropped")
        let indices = log.frames.map(\.info.index)
        #expect(indices == indices.sorted())
    }

    @Test func theDefaultBlocksAndLosesNothing() async throws {
        let (summary, log, metric) = try await runSlowSink(buffer: "")
        #expect(summary.status == .completed)
        #expect(log.frames.map(\.info.index) == Array(0..<200))
        #expect(log.events.count == 10)
        #expect(summary.stages.allSatisfy { $0.dropped == 0 })
        #expect(metric == 0)
    }
}
