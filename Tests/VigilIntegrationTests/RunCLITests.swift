import Foundation
import Testing
import VigilTesting

@Suite("vigil run on real video")
struct RunCLITests {
    /// A decode-only pipeline (video -> jsonl) in a temporary folder.
    static func decodePipeline(url: String, extra: String = "", in dir: URL) throws -> (pipeline: URL, output: URL) {
        let output = dir.appendingPathComponent("out.jsonl")
        let pipeline = dir.appendingPathComponent("decode.yaml")
        try """
        sources:
          camera:
            type: video
            url: \(url)
        \(extra)
        sinks:
          out:
            type: jsonl
            inputs: [camera]
            path: \(output.path)
        """.write(to: pipeline, atomically: true, encoding: .utf8)
        return (pipeline, output)
    }

    static func lines(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static let vtest = CLI.packageRoot.appendingPathComponent("samples/vtest.avi").path

    @Test func batchRunDecodesEveryFrameAndWritesMetrics() async throws {
        let dir = try CLI.temporaryDirectory()
        let (pipeline, output) = try Self.decodePipeline(url: Self.vtest, in: dir)
        let metrics = dir.appendingPathComponent("metrics.json")
        let result = try await CLI.run(["run", pipeline.path, "--metrics-json", metrics.path])
        #expect(result.status == 0, "\(result.stderr)")
        let frames = try Self.lines(output)
        #expect(frames.count == 795)
        #expect(frames.map { $0["frame"] as! Int } == Array(0..<795))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: metrics)) as! [String: Any]
        #expect(summary["status"] as? String == "completed")
        #expect((summary["framesBySource"] as? [String: Int])?["camera"] == 795)
    }

    @Test func timeWindowAndInputOverride() async throws {
        let dir = try CLI.temporaryDirectory()
        let (pipeline, output) = try Self.decodePipeline(url: "/nonexistent.avi", in: dir)
        let result = try await CLI.run(["run", pipeline.path, "--input", "camera=\(Self.vtest)", "--from", "10s", "--to", "20s", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let times = try Self.lines(output).map { $0["time"] as! Double }
        #expect(times.count == 100)
        #expect(times.first! >= 10 && times.last! < 20)
    }

    /// A truncated input (a recording cut short) is processed up to its end: the run completes as
    /// `truncated` with the frames reached, unless the source says `on_truncated: fail`; what was
    /// written before the cut stays either way.
    @Test(arguments: [false, true])
    func truncatedInputIsProcessedToItsEnd(failing: Bool) async throws {
        let dir = try CLI.temporaryDirectory()
        let input = dir.appendingPathComponent("vtest-1mb.avi")
        try Data(contentsOf: URL(fileURLWithPath: Self.vtest)).prefix(1_000_000).write(to: input)
        let (pipeline, output) = try Self.decodePipeline(url: input.path, extra: failing ? "    on_truncated: fail" : "", in: dir)
        let metrics = dir.appendingPathComponent("metrics.json")
        let result = try await CLI.run(["run", pipeline.path, "--metrics-json", metrics.path])
        let frames = try Self.lines(output).count
        #expect(frames > 50 && frames < 100)
        #expect(result.stderr.contains("truncated after \(frames) frames"), "\(result.stderr)")
        #expect(result.stderr.contains(input.path), "\(result.stderr)")
        if failing {
            #expect(result.status != 0 && result.status < 128, "exit \(result.status): \(result.stderr)")
        } else {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("decode: truncated in "), "\(result.stderr)")
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: metrics)) as! [String: Any]
            #expect(summary["status"] as? String == "truncated")
            let truncations = summary["truncations"] as? [[String: Any]]
            #expect(truncations?.first?["frames"] as? Int == frames && truncations?.first?["declaredFrames"] as? Int == 795)
        }
    }

    /// Random, empty, missing and directory inputs: a clear error naming the input, a non-zero exit,
    /// and no crash.
    @Test(arguments: ["random", "empty", "missing", "directory"])
    func badInputFailsClearly(kind: String) async throws {
        let dir = try CLI.temporaryDirectory()
        let input: URL
        switch kind {
        case "random":
            input = dir.appendingPathComponent("random.mp4")
            try Data((0..<200_000).map { _ in UInt8.random(in: 0...255) }).write(to: input)
        case "empty":
            input = dir.appendingPathComponent("empty.mp4")
            try Data().write(to: input)
        case "missing":
            input = dir.appendingPathComponent("missing.mp4")
        default:
            input = dir.appendingPathComponent("folder.mp4")
            try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        }
        let (pipeline, _) = try Self.decodePipeline(url: input.path, in: dir)
        let result = try await CLI.run(["run", pipeline.path, "--quiet"])
        #expect(result.status != 0 && result.status < 128, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains(input.path) || result.stderr.contains(input.lastPathComponent), "\(result.stderr)")
    }

    /// The complete lines written so far (a line still being written is left out).
    static func completeLines(_ url: URL) -> [Substring] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()   // empty after a final newline, else the partial last line
        return lines
    }

    @Test func sigtermDuringAStreamRunFlushesAndExitsZero() async throws {
        let dir = try CLI.temporaryDirectory()
        let (pipeline, output) = try Self.decodePipeline(url: Self.vtest, extra: "    loop: true", in: dir)
        let running = try CLI.start(["run", pipeline.path, "--mode", "stream", "--quiet"])
        // The file plays at its own 10 frames/s and the sink writes at least every second of media time:
        // wait until 10 frames are on disk, so the signal comes while frames are flowing.
        try await waitUntil("10 frames in \(output.path)", timeout: .seconds(120)) {
            Self.completeLines(output).count >= 10 || !running.isRunning
        }
        #expect(running.isRunning, "vigil ended before it was signalled")
        let seen = Self.completeLines(output).count
        running.signal(SIGTERM)
        let result = await running.exited()
        #expect(result.status == 0, "\(result.stderr)")
        let frames = try Self.lines(output)
        #expect(frames.count >= seen)
        // Every line is complete JSON (the sink flushed), frames are in order, media time increases.
        #expect(frames.map { $0["frame"] as! Int } == Array(0..<frames.count))
        let times = frames.map { $0["time"] as! Double }
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
    }
}
