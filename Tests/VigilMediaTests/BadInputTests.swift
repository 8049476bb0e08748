import Foundation
import Testing
import VigilCore
import VigilMedia
import VigilTesting

@Suite("Bad inputs give typed errors")
struct BadInputTests {
    static let dir: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-media-bad-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func expectError(_ url: String, code: VigilError.Code, mentions text: String) async throws {
        #expect {
            _ = try VideoReader(url: url)
        } throws: { error in
            guard let error = error as? VigilError else { return false }
            return error.code == code && error.subject == url && error.description.contains(text)
        }
        // The same through the stage: preflight fails before anything runs.
        let spec = VideoSourceSpec(url: url)
        await #expect(throws: VigilError.self) { try await spec.preflight(context: makeContext()) }
    }

    @Test func missingFile() async throws {
        try await expectError(Self.dir.appendingPathComponent("missing.mp4").path, code: .mediaNotFound, mentions: "No such file")
    }

    @Test func zeroLengthFile() async throws {
        let path = Self.dir.appendingPathComponent("empty.mp4").path
        try Data().write(to: URL(fileURLWithPath: path))
        try await expectError(path, code: .mediaOpen, mentions: "empty (0 bytes)")
    }

    @Test func randomBytesNamedMP4() async throws {
        let path = Self.dir.appendingPathComponent("random.mp4").path
        // Seeded: some random byte strings look enough like a container to FFmpeg's probe to fail later
        // (e.g. "no picture size"); the test wants one fixed input, not a lottery.
        var generator = SplitMix(state: 0x5669_6769_6c00_0001)
        try Data((0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: path))
        try await expectError(path, code: .mediaOpen, mentions: "Invalid data found when processing input")
    }

    @Test func directory() async throws {
        let path = Self.dir.appendingPathComponent("folder.mp4").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try await expectError(path, code: .mediaOpen, mentions: "is a directory")
    }

    @Test func nonVideoFile() async throws {
        let path = Self.dir.appendingPathComponent("tone.wav").path
        let made = await Tools.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1", path])
        try #require(made.status == 0)
        try await expectError(path, code: .noVideoStream, mentions: "audio")
    }

    @Test("truncated file (first 1 MB of vtest.avi): frames until the cut, then the end, reported as truncated")
    func truncatedFile() async throws {
        let source = try Samples.path("vtest.avi")
        let path = Self.dir.appendingPathComponent("truncated.avi").path
        let data = try Data(contentsOf: URL(fileURLWithPath: source)).prefix(1_000_000)
        try data.write(to: URL(fileURLWithPath: path))
        let context = makeContext()
        let collector = try await runSource(VideoSourceSpec(url: path), context: context)
        #expect(collector.frames.count > 50 && collector.frames.count < 100)
        let truncation = try #require(context.progress.truncations["cam"])
        #expect(truncation.url == path && truncation.frames == collector.frames.count && truncation.declaredFrames == 795)
        #expect(truncation.description == "cam: truncated after \(collector.frames.count) frames (of 795 declared): \(path)")
    }

    @Test("truncated file with on_truncated: fail: frames until the cut, then a typed error")
    func truncatedFileFails() async throws {
        let source = try Samples.path("vtest.avi")
        let path = Self.dir.appendingPathComponent("truncated-fail.avi").path
        try Data(contentsOf: URL(fileURLWithPath: source)).prefix(1_000_000).write(to: URL(fileURLWithPath: path))
        var spec = VideoSourceSpec(url: path)
        spec.onTruncated = .fail
        let collector = CollectingSink()
        let context = makeContext()
        let stage = try await spec.makeStage(context: context)
        await #expect {
            try await stage.run(input: .empty, output: collector.output)
        } throws: { error in
            (error as? VigilError)?.code == .mediaTruncated && "\(error)".contains(path) && "\(error)".contains("truncated after")
        }
        #expect(collector.frames.count > 50 && collector.frames.count < 100)
        #expect(context.progress.truncations.isEmpty)
        // A job's on_truncated wins over the source's.
        var job = makeContext()
        job.runPolicy.onTruncated = .complete
        let completed = try await runSource(spec, context: job)
        #expect(completed.frames.count == collector.frames.count && job.progress.truncations["cam"] != nil)
    }

    @Test("a corrupt packet in the middle of a file is counted and skipped")
    func corruptPacketSkipped() async throws {
        // An MPEG-TS copy of bikes.mp4 with 4 KB of garbage written over its middle.
        let path = Self.dir.appendingPathComponent("damaged.ts").path
        let made = await Tools.run("ffmpeg", ["-v", "error", "-y", "-i", try Samples.path("bikes.mp4"), "-c", "copy", "-f", "mpegts", path])
        try #require(made.status == 0)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let middle = data.count / 2
        for i in middle..<(middle + 4096) { data[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 7) }
        try data.write(to: URL(fileURLWithPath: path))
        let reader = try VideoReader(url: path)
        var frames = 0
        while try reader.next() != nil { frames += 1 }
        #expect(frames > 200 && frames <= 250)
        #expect(reader.corruptPacketCount + reader.damagedFrameCount >= 1)
    }
}

