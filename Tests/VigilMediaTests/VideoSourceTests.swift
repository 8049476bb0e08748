import Foundation
import Testing
import VigilCore
import VigilMedia
import VigilTesting

@Suite("The video source stage on files")
struct VideoSourceTests {
    @Test("fps sampling keeps frames by timestamp")
    func fpsSampling() async throws {
        let path = try Samples.path("vtest.avi")   // 10 fps, 795 frames
        let five = try await runSource(VideoSourceSpec(url: path, fps: 5), context: makeContext())
        #expect(five.frames.count == 398)
        #expect(five.frames.map(\.info.index) == Array(stride(from: 0, to: 795, by: 2)))
        let three = try await runSource(VideoSourceSpec(url: path, fps: 3), context: makeContext())
        // Slots every 1/3 s: frames at 0.0, 0.4, 0.7, 1.0, ... — 3 per second of 79.5 s, plus the first.
        #expect(three.frames.count == 239)
        let times = three.frames.map(\.info.time.seconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= 0.3 - 1e-6 && $1 - $0 <= 0.4 + 1e-6 })
        #expect(five.frames.allSatisfy { $0.image == nil && $0.info.captureTime == nil })
    }

    @Test("start/end window seeks and decodes precisely up to start", arguments: ["vtest.avi", "bikes.mp4"])
    func window(name: String) async throws {
        let path = try Samples.path(name)
        let rate = name == "vtest.avi" ? 10.0 : 25.0
        let (start, end) = (3.3, 5.0)
        let collector = try await runSource(VideoSourceSpec(url: path, start: start, end: end),
                                            context: makeContext(requirement: FrameRequirement(pixelFormat: .bgr24)))
        let frames = collector.frames
        let first = Int((start * rate).rounded(.up)), last = Int((end * rate).rounded(.up)) - 1
        #expect(frames.count == last - first + 1)
        #expect(frames.first?.info.index == first)
        #expect(frames.last?.info.index == last)
        #expect(abs((frames.first?.info.time.seconds ?? -1) - Double(first) / rate) < 1e-6)
        // The first frame of the window is the real frame `first`, not the keyframe before it.
        let image = try #require(frames.first?.image)
        let same = await image.packedBytes() == Tools.ffmpegFrame(path, index: first)
        #expect(same, "the first frame of the window must be frame \(first)")
    }

    @Test("the command-line window overrides the spec's start and end")
    func contextWindowOverrides() async throws {
        let path = try Samples.path("carphone_pristine.mp4")
        let spec = VideoSourceSpec(url: "does-not-matter.mp4", start: 0, end: 0.5)
        var context = makeContext(window: TimeWindow(start: 1, end: 2))
        context.inputOverride = path
        let frames = try await runSource(spec, context: context).frames
        #expect(frames.count == 30)   // 29.97 fps: frames 30...59 lie in [1, 2)
        #expect(frames.allSatisfy { $0.info.time.seconds >= 1 && $0.info.time.seconds < 2 })
    }

    @Test("frames carry source geometry and the requested pixels")
    func requirementOverrides() async throws {
        let path = try Samples.path("bikes.mp4")
        let spec = VideoSourceSpec(url: path, end: 1, pixelFormat: .gray8, width: 320)
        let frames = try await runSource(spec, context: makeContext()).frames
        #expect(frames.count == 25)
        let frame = try #require(frames.first)
        #expect((frame.info.sourceWidth, frame.info.sourceHeight) == (640, 272))
        let image = try #require(frame.image)
        #expect((image.width, image.height, image.format) == (320, 136, .gray8))
        #expect(frame.imageToSourceScale.x == 2)
    }

    @Test("a looped file in stream mode restarts with increasing timestamps and stops on shutdown")
    func loopInStreamMode() async throws {
        let path = try Samples.path("carphone_pristine.mp4")   // 120 frames, 4 s at 29.97 fps
        let shutdown = ShutdownSignal()
        let spec = VideoSourceSpec(url: path, fps: 30, start: 3.5, loop: true)
        let collector = CollectingSink()
        let stage = try await spec.makeStage(context: makeContext(mode: .stream, shutdown: shutdown))
        let task = Task { try await stage.run(input: .empty, output: collector.output) }
        // 0.5 s per pass (the window 3.5...4), paced in real time: wait for a third pass.
        defer { shutdown.request() }
        try await waitUntil("a third pass (40 frames)") { collector.frames.count >= 40 }
        shutdown.request()
        try await task.value
        let frames = collector.frames
        #expect(frames.count >= 40)
        let times = frames.map(\.info.time.seconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        #expect(frames.allSatisfy { $0.info.captureTime != nil })
        let indices = frames.map(\.info.index)
        #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 })
    }
}

@Suite("Backpressure")
struct BackpressureTests {
    /// An output that takes `delay` per message, like a slow sink.
    func slowOutput(_ collector: CollectingSink, delay: Duration) -> StageOutput {
        let inner = collector.output
        return StageOutput { message in
            try await Task.sleep(for: delay)
            try await inner.send(message)
        }
    }

    @Test("a file source waits for a slow consumer: every frame arrives")
    func fileSourceBlocks() async throws {
        let spec = VideoSourceSpec(url: try Samples.path("bikes.mp4"), end: 1)
        let collector = CollectingSink()
        let stage = try await spec.makeStage(context: makeContext(requirement: FrameRequirement(maxWidth: 160)))
        try await stage.run(input: .empty, output: slowOutput(collector, delay: .milliseconds(10)))
        #expect(collector.frames.map(\.info.index) == Array(0..<25))
    }

    @Test("a live source drops the oldest waiting frames when the consumer falls behind")
    func liveSourceDropsOldest() async throws {
        let shutdown = ShutdownSignal()
        let spec = VideoSourceSpec(url: try Samples.path("carphone_pristine.mp4"), loop: true)   // ~30 fps, paced
        let collector = CollectingSink()
        let stage = try await spec.makeStage(context: makeContext(mode: .stream, shutdown: shutdown))
        let task = Task { try await stage.run(input: .empty, output: slowOutput(collector, delay: .milliseconds(150))) }
        defer { shutdown.request() }
        // A hang guard, not a speed check: the whole suite shares two cores, and a loaded run has taken over 60 s.
        try await waitUntil("20 frames", timeout: .seconds(300)) { collector.frames.count >= 20 }
        shutdown.request()
        try await task.value
        let indices = collector.frames.map(\.info.index)
        #expect(indices.count >= 20)
        #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 })
        #expect(zip(indices, indices.dropFirst()).contains { $1 - $0 > 1 }, "frames should have been dropped: \(indices)")
    }
}
