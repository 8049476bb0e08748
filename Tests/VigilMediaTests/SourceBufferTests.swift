import Testing
import VigilCore
import VigilMedia
import VigilPipeline
import VigilTesting

@Suite("Live source buffer")
struct SourceBufferTests {
    /// A looped file plays as a live camera (paced at its ~30 frames/s); a sink taking 100 ms per frame
    /// falls behind, so the source's hand-off drops its oldest frames. Those drops land in the same
    /// `vigil_stage_dropped_total{stage}` as every other drop, and in the run summary.
    @Test func aLiveSourceDropsOldFramesCountedInTheMetricAndTheSummary() async throws {
        let log = "source-buffer-\(UInt64.random(in: 0...UInt64.max))"
        let registry = StageRegistry([VideoSourceSpec.self] + TestKinds.all)
        let spec = try PipelineLoader(registry: registry, environment: [:]).load(text: """
        sources:
          camera:
            type: video
            url: \(try Samples.path("carphone_pristine.mp4"))
            loop: true
            buffer: {max_events: 2, when_full: drop_oldest}
        sinks:
          out:
            type: collect
            inputs: [camera]
            log: \(log)
            delay: 100ms
        """, file: "live.yaml")
        let metrics = PipelineMetrics()
        let runner = PipelineRunner(spec: spec, options: RunOptions(mode: .stream, channelCapacity: 1), metrics: metrics)
        let run = Task { try await runner.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while MessageLog.named(log).frames.count < 12 {
            if ContinuousClock.now > deadline { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        runner.shutdown.request()
        let summary = try await run.value
        let frames = MessageLog.named(log).frames
        try #require(frames.count >= 12, "the sink received \(frames.count) frames in 60 s")
        let camera = try #require(summary.stages.first { $0.id == "camera" })
        #expect(camera.dropped > 0)
        #expect(Double(camera.dropped) == metrics.counterValue("vigil_stage_dropped_total", [("stage", "camera")]))
        // What reached the sink skips the dropped frames but keeps media time moving forward.
        let times = frames.map(\.info.time.seconds)
        #expect(zip(times, times.dropFirst()).contains { $1 - $0 > 0.05 })
        #expect(summary.status == .stopped)
    }
}
