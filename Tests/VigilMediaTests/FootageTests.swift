import Foundation
import Testing
import VigilCore
import VigilMedia
import VigilTesting

/// Recorded footage: when a file was recorded (its container's `creation_time`), and a recording cut
/// short (an MP4 whose index promises more frames than its data holds).
@Suite("Recorded footage")
struct FootageTests {
    static let dir: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-media-footage-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("creation_time text as FFmpeg's demuxers give it")
    func parsesCreationTimes() {
        #expect(CreationTime.parse("2023-06-01T08:00:00.000000Z") == Self.utc("2023-06-01T08:00:00Z"))
        #expect(CreationTime.parse("2023-06-01T08:00:00Z") == Self.utc("2023-06-01T08:00:00Z"))
        #expect(CreationTime.parse("2023-06-01 08:00:00") == Self.utc("2023-06-01T08:00:00Z"))
        #expect(CreationTime.parse("2023-06-01T10:00:00+02:00") == Self.utc("2023-06-01T08:00:00Z"))
        #expect(CreationTime.parse("2023-06-01T08:00:00.250Z")!.timeIntervalSince(Self.utc("2023-06-01T08:00:00Z")) == 0.25)
        // An unset camera clock (MP4's 1904 epoch, 1970) and what is not a time.
        #expect(CreationTime.parse("1904-01-01T00:00:00.000000Z") == nil)
        #expect(CreationTime.parse("1970-01-01T00:00:00Z") == nil)
        #expect(CreationTime.parse("2023-02-30T08:00:00Z") == nil)
        #expect(CreationTime.parse("yesterday") == nil)
        #expect(CreationTime.parse("2023-06-01T08:00:00Zulu") == nil)
    }

    @Test("a file's creation_time reaches the reader and the probe; a file without one has none")
    func readsCreationTime() async throws {
        let path = Self.dir.appendingPathComponent("tagged.mp4").path
        let made = await Tools.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1",
                                        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-metadata", "creation_time=2023-06-01T08:00:00Z", path])
        try #require(made.status == 0, "\(String(decoding: made.stderr, as: UTF8.self))")
        #expect(try VideoReader(url: path).creationTime == Self.utc("2023-06-01T08:00:00Z"))
        let probe = try MediaProbe.probe(path)
        #expect(probe.creationTime == Self.utc("2023-06-01T08:00:00Z"))
        #expect(probe.description.contains("recorded: 2023-06-01T08:00:00.000Z"))
        #expect(try probe.jsonString().contains("\"creation_time\""))
        #expect(try MediaProbe.probe(Samples.path("vtest.avi")).creationTime == nil)
    }

    @Test("an MP4 cut at 60% of its bytes (index at the front) plays to the cut and is reported truncated")
    func truncatedMP4() async throws {
        let whole = Self.dir.appendingPathComponent("whole.mp4").path
        let made = await Tools.run("ffmpeg", ["-v", "error", "-y", "-i", try Samples.path("vtest.avi"), "-t", "8", "-c:v", "libx264",
                                        "-preset", "ultrafast", "-movflags", "+faststart", whole])
        try #require(made.status == 0, "\(String(decoding: made.stderr, as: UTF8.self))")
        let cut = Self.dir.appendingPathComponent("cut.mp4").path
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        try data.prefix(data.count * 6 / 10).write(to: URL(fileURLWithPath: cut))

        let context = makeContext()
        let collector = try await runSource(VideoSourceSpec(url: cut), context: context)
        let truncation = try #require(context.progress.truncations["cam"])
        #expect(truncation.declaredFrames == 80)
        #expect(truncation.frames == collector.frames.count)
        #expect(collector.frames.count > 20 && collector.frames.count < 70, "\(collector.frames.count) frames")
        // The whole file is not truncated.
        let complete = makeContext()
        #expect(try await runSource(VideoSourceSpec(url: whole), context: complete).frames.count == 80)
        #expect(complete.progress.truncations.isEmpty)
    }
}
