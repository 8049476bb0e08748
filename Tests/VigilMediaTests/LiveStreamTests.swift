import Foundation
import Testing
import VigilCore
import VigilMedia
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// An MPEG-TS stream served over TCP by the ffmpeg CLI, like a camera.
final class StreamServer {
    let port: Int
    private var process: ChildProcess?

    init() throws { port = try Self.freePort() }

    func start() throws {
        process = try ChildProcess(["ffmpeg", "-v", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", try Samples.path("vtest.avi"),
                                    "-c:v", "mpeg4", "-g", "10", "-f", "mpegts", "tcp://127.0.0.1:\(port)?listen=1"],
                                   stdout: .discard, stderr: .discard)
    }

    /// Kills the server without a goodbye, like a camera losing power.
    func kill() {
        guard let p = process else { return }
        p.kill()
        process = nil
    }

    deinit { kill() }

    /// A port nothing listens on (the kernel's pick, released at once).
    static func freePort() throws -> Int {
        let listener = try SilentListener()
        defer { listener.close() }
        return listener.port
    }
}

@Suite("Live streams")
struct LiveStreamTests {
    @Test("a tcp:// stream is consumed; when the server dies and comes back the source reconnects, reports the gap and goes on",
          .timeLimit(.minutes(3)))
    func reconnectsAfterServerRestart() async throws {
        let server = try StreamServer()
        try server.start()
        defer { server.kill() }
        let shutdown = ShutdownSignal()
        let spec = VideoSourceSpec(url: "tcp://127.0.0.1:\(server.port)", readTimeout: 5,
                                   reconnect: .init(initialDelay: 0.2, maxDelay: 1, jitter: 0.1))
        var context = makeContext(mode: .stream, requirement: FrameRequirement(pixelFormat: .bgr24, maxWidth: 192),
                                  shutdown: shutdown)
        // Keep every frame: a live source drops the oldest by default, and on a loaded machine the first
        // frame after the gap could be one of them (CI saw the gap 0.4 s before the first delivered frame).
        context.buffer = BufferSettings(whenFull: .block)
        let collector = CollectingSink()
        let stage = try await spec.makeStage(context: context)
        let task = Task { try await stage.run(input: .empty, output: collector.output) }
        defer { shutdown.request() }   // a failed wait must not leave the source reconnecting

        try await waitUntil("the first 15 frames", timeout: .seconds(40)) { collector.frames.count >= 15 }
        server.kill()
        try server.start()
        try await waitUntil("15 frames after the stream_gap event", timeout: .seconds(40)) {
            Self.split(collector.messages)?.after.count ?? 0 >= 15
        }
        shutdown.request()
        try await task.value

        let (before, gap, after) = try #require(Self.split(collector.messages))
        #expect(gap.kind == "stream_gap" && gap.sourceID == "cam")
        #expect(gap.attributes["reconnects"] == "1")
        #expect(collector.events.count == 1, "one loss, one gap: \(collector.events.map(\.message))")
        let gapSeconds = try #require(Double(gap.attributes["gap_seconds"] ?? ""))
        // The gap event sits between the frames before and after the reconnect, at the media time of the
        // first frame after it, and the media timeline keeps the gap: it resumes `gap_seconds` after the last
        // frame before (the source's reconnect delay, 0.2 s or more, exceeds one frame, 0.1 s).
        #expect(before.count >= 15 && after.count >= 15)
        #expect(gap.time == after[0].info.time)
        let jump = after[0].info.time.seconds - before[before.count - 1].info.time.seconds
        #expect(abs(jump - gapSeconds) < 0.002, "media time jumped \(jump) s across a gap of \(gapSeconds) s")
        let frames = collector.frames
        let times = frames.map(\.info.time.seconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "media time must keep increasing across the reconnect")
        #expect(frames.allSatisfy { $0.info.captureTime != nil && $0.image?.width == 192 && $0.info.sourceWidth == 768 })
        #expect(after[after.count - 1].info.time.seconds - gap.time.seconds > 1)
    }

    /// The frames before the first event, that event, and the frames after it.
    static func split(_ messages: [Message]) -> (before: [AnnotatedFrame], gap: Event, after: [AnnotatedFrame])? {
        guard let index = messages.firstIndex(where: { if case .event = $0 { true } else { false } }),
              case .event(let gap) = messages[index] else { return nil }
        func frames(_ part: ArraySlice<Message>) -> [AnnotatedFrame] {
            part.compactMap { if case .frame(let f) = $0 { f } else { nil } }
        }
        return (frames(messages[..<index]), gap, frames(messages[(index + 1)...]))
    }
}

@Suite("Stalled streams")
struct StallTests {
    @Test("a server that accepts but never sends fails with a read timeout, not a hang", .timeLimit(.minutes(3)))
    func stalledServerTimesOut() throws {
        // A listening socket nobody accepts from: the kernel completes the connection, no byte ever comes.
        let listener = try SilentListener()
        defer { listener.close() }
        let url = "tcp://127.0.0.1:\(listener.port)"
        #expect {
            _ = try VideoReader(url: url, options: VideoReaderOptions(readTimeout: 0.5))
        } throws: { error in
            (error as? VigilError)?.code == .mediaTimeout && (error as? VigilError)?.subject == url
        }
    }
}

@Suite("Network inputs")
struct NetworkInputTests {
    @Test("an http:// URL decodes the same frames as the file", .timeLimit(.minutes(3)))
    func httpInput() async throws {
        // MPEG-TS needs no seeking, which Python's simple HTTP server (no Range requests) cannot serve.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-media-http-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("carphone.ts").path
        let made = await Tools.run("ffmpeg", ["-v", "error", "-y", "-i", try Samples.path("carphone_pristine.mp4"), "-c", "copy", "-f", "mpegts", path])
        try #require(made.status == 0)
        let port = try StreamServer.freePort()
        let server = try ChildProcess(["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir.path, "\(port)"],
                                      stdout: .discard, stderr: .discard)
        defer {
            server.kill()
        }
        let url = "http://127.0.0.1:\(port)/carphone.ts"
        var reader: VideoReader?
        for _ in 0..<50 where reader == nil {   // until the server listens
            reader = try? VideoReader(url: url, options: VideoReaderOptions(readTimeout: 5))
            if reader == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let http = try #require(reader, "the HTTP server did not come up")
        #expect(http.isNetwork)
        var times: [Double] = []
        while let frame = try http.next() { times.append(frame.time) }
        let file = try VideoReader(url: path)
        var fileTimes: [Double] = []
        while let frame = try file.next() { fileTimes.append(frame.time) }
        #expect(times.count == 120 && times == fileTimes)
    }

    @Test("a udp:// MPEG-TS stream is consumed in stream mode", .timeLimit(.minutes(3)))
    func udpInput() async throws {
        let port = try StreamServer.freePort()
        let shutdown = ShutdownSignal()
        let collector = CollectingSink()
        let spec = VideoSourceSpec(url: "udp://127.0.0.1:\(port)", readTimeout: 10)
        let stage = try await spec.makeStage(context: makeContext(mode: .stream, shutdown: shutdown))
        let task = Task { try await stage.run(input: .empty, output: collector.output) }
        try await Task.sleep(for: .milliseconds(300))   // the source binds the port, then the camera starts sending
        // The camera keeps sending (looped, up to 2 minutes): on a loaded machine the first seconds of UDP may be lost.
        let sender = try ChildProcess(["ffmpeg", "-v", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", try Samples.path("vtest.avi"), "-t", "120",
                                       "-c:v", "mpeg4", "-g", "10", "-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316"],
                                      stdout: .discard, stderr: .discard)
        defer { sender.kill() }
        defer { shutdown.request() }
        try await waitUntil("15 frames", timeout: .seconds(150)) { collector.frames.count >= 15 }
        shutdown.request()
        try await task.value
        let frames = collector.frames
        #expect(frames.count >= 15)
        let times = frames.map(\.info.time.seconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        #expect(frames.allSatisfy { $0.info.captureTime != nil && $0.info.sourceWidth == 768 })
    }
}
