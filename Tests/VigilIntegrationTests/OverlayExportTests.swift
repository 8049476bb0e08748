import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// `vigil export overlay` of a real run and the `overlay` sink of a running pipeline, checked with
/// ffprobe (frames, duration, codec) and at the pixel level against the source.
@Suite("Overlay video (CLI)") struct OverlayExportTests {
    /// A 5 s, 50-frame clip of vtest.avi and a run over it (DNN people, tracks) with an overlay sink.
    struct Fixture: Sendable {
        var url: DatabaseURL
        var dir: String
        var clip: String
        var live: String
    }

    static let fixture = Task<Fixture, any Error> {
        let dir = try CLI.temporaryDirectory().path
        let clip = dir + "/clip.avi"
        let cut = try await ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-i", RunCLITests.vtest, "-t", "5", "-c:v", "mpeg4",
                                        "-q:v", "3", clip], timeout: 120)
        guard cut.status == 0 else { throw ChildProcessError("ffmpeg failed: \(cut.errors)") }
        let server = try TestPostgres.serverURL()
        let name = "vigil_overlay_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try await EmbeddedPostgres.createDatabase(name, on: server, logger: TestPostgres.logger, ifMissing: false)
        let url = server.with(database: name)
        let live = dir + "/live.mp4"
        let pipeline = dir + "/overlay.yaml"
        try """
            sources:
              plaza: {type: video, url: \(clip)}
            stages:
              people: {type: detect, inputs: [plaza], kind: dnn, model: yolo-fastest-1.1_body, confidence: 0.3}
              tracks: {type: track, inputs: [people]}
              alerts:
                type: alert
                inputs: [tracks]
                zones:
                  walkway: {polygon: [[0, 190], [330, 185], [560, 160], [700, 190], [700, 340], [330, 300], [0, 235]]}
                rules:
                  arrivals: {kind: zone_enter, zone: walkway}
                evidence: false
            sinks:
              db: {type: postgres, inputs: [alerts], time_origin: 2024-01-01T00:00:00Z}
              video:
                type: overlay
                inputs: [alerts]
                path: \(live)
                zones: {walkway: [[0, 190], [330, 185], [560, 160], [700, 190], [700, 340], [330, 300], [0, 235]]}
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let run = try await CLI.run(["run", pipeline, "--quiet"], environment: ["DATABASE_URL": url.uri])
        guard run.status == 0 else { throw ChildProcessError("vigil run failed: \(run.stderr)") }
        return Fixture(url: url, dir: dir, clip: clip, live: live)
    }

    /// (decoded frames, duration in seconds, codec) of the video stream; the duration is the stream's,
    /// else the container's (Matroska has no stream duration).
    static func probe(_ path: String) async throws -> (frames: Int, duration: Double, codec: String) {
        let result = try await ChildProcess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                           "stream=codec_name,nb_read_frames,duration:format=duration", "-of", "default=nw=1", path],
                                          timeout: 120)
        var values: [String: [String]] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0], default: []].append(parts[1]) }
        }
        guard result.status == 0, let codec = values["codec_name"]?.first, let frames = values["nb_read_frames"]?.first.flatMap({ Int($0) }),
              let duration = values["duration"]?.compactMap({ Double($0) }).first else {
            throw ChildProcessError("ffprobe \(path): \(result.output) \(result.errors)")
        }
        return (frames, duration, codec)
    }

    /// Frame `n` of `path` as RGB24 bytes.
    static func frame(_ n: Int, of path: String, width: Int, height: Int) async throws -> [UInt8] {
        let result = try await ChildProcess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", "select=eq(n\\,\(n))", "-vframes", "1",
                                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], timeout: 120)
        guard result.status == 0, result.stdout.count == width * height * 3 else {
            throw ChildProcessError("ffmpeg frame \(n) of \(path): \(result.stdout.count) bytes, \(result.errors)")
        }
        return [UInt8](result.stdout)
    }

    static let palette: [(Int, Int, Int)] = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
                                             (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128)]

    @Test func overlayOfARunKeepsTheSourceTimingAndDrawsOnTheFrames() async throws {
        let f = try await Self.fixture.value
        let out = f.dir + "/run.mp4"
        let result = try await CLI.run(["export", "overlay", "--camera", "plaza", "--source", f.clip, "--crf", "16", "--out", out],
                                       environment: ["DATABASE_URL": f.url.uri])
        #expect(result.status == 0, "\(result.stderr)")
        let source = try await Self.probe(f.clip), overlay = try await Self.probe(out)
        #expect(overlay.codec == "h264")
        #expect(abs(overlay.frames - source.frames) <= 1, "\(overlay.frames) frames, the source has \(source.frames)")
        #expect(abs(overlay.duration - source.duration) <= 0.1 + 1e-6, "\(overlay.duration) s, the source lasts \(source.duration) s")

        // Frame 30: the boxes of that frame and the trails of the 2 s before are the only drawings
        // outside the time stamp (top left) and alert banners (bottom left).
        let n = 30, width = 768, height = 576
        let boxes = try await ExportFixture.psql(f.url, """
            SELECT frame_index, track_id, round(x), round(y), round(x + w), round(y + h) FROM track_points
            WHERE frame_index BETWEEN \(n - 20) AND \(n) ORDER BY frame_index, track_id
            """).map { $0.split(separator: "|").map { Int(Double($0)!) } }
        let current = boxes.filter { $0[0] == n }
        #expect(!current.isEmpty, "no track on frame \(n)")
        let drawn = try await Self.frame(n, of: out, width: width, height: height)
        let plain = try await Self.frame(n, of: f.clip, width: width, height: height)
        func pixel(_ image: [UInt8], _ x: Int, _ y: Int) -> (Int, Int, Int) {
            let i = (y * width + x) * 3
            return (Int(image[i]), Int(image[i + 1]), Int(image[i + 2]))
        }
        // The left edge of each box, away from its caption and corners, in the track's colour.
        var edgeChecked = 0
        for box in current {
            let (track, x0, y0, y1) = (box[1], box[2], box[3], box[5])
            guard x0 >= 2, y1 - y0 > 30, x0 < width - 2 else { continue }
            let others = current.filter { $0[1] != track && $0[2] - 4 <= x0 && x0 <= $0[4] + 4 }
            let colour = Self.palette[track % Self.palette.count]
            var close = 0, total = 0
            for y in stride(from: y0 + (y1 - y0) / 3, to: y0 + 2 * (y1 - y0) / 3, by: 1) where y < height {
                if others.contains(where: { $0[3] - 4 <= y && y <= $0[5] + 4 }) { continue }
                func distance(_ p: (Int, Int, Int)) -> Int { abs(p.0 - colour.0) + abs(p.1 - colour.1) + abs(p.2 - colour.2) }
                // Only where the source itself is far from the colour: there a match proves the drawing.
                guard distance(pixel(plain, x0, y)) > 150 else { continue }
                total += 1
                if distance(pixel(drawn, x0, y)) <= 90 { close += 1 }
            }
            if total >= 5 {
                #expect(Double(close) >= 0.8 * Double(total), "track \(track): \(close) of \(total) edge pixels in its colour")
                edgeChecked += 1
            }
        }
        #expect(edgeChecked > 0)
        // Pixels 16 px or more from every box of the last 2 s, off the stamp and banners: the source's.
        var differences: [Int] = []
        for y in stride(from: 60, to: height - 80, by: 2) {
            for x in stride(from: 0, to: width, by: 2) {
                let near = boxes.contains { x >= $0[2] - 16 && x <= $0[4] + 16 && y >= $0[3] - 36 && y <= $0[5] + 16 }
                if near { continue }
                let a = pixel(drawn, x, y), b = pixel(plain, x, y)
                differences.append(abs(a.0 - b.0) + abs(a.1 - b.1) + abs(a.2 - b.2))
            }
        }
        differences.sort()
        #expect(differences.count > 10_000)
        let mean = Double(differences.reduce(0, +)) / Double(max(1, differences.count)) / 3
        let p99 = differences.isEmpty ? 0 : differences[differences.count * 99 / 100] / 3
        #expect(mean < 4 && p99 < 20, "far from drawings: mean difference \(mean) per channel, 99th percentile \(p99)")
    }

    @Test func overlaySinkOfARunningPipelineHasEveryFrame() async throws {
        let f = try await Self.fixture.value
        let source = try await Self.probe(f.clip), live = try await Self.probe(f.live)
        #expect(live.codec == "h264")
        #expect(abs(live.frames - source.frames) <= 1, "\(live.frames) frames, the source has \(source.frames)")
        #expect(abs(live.duration - source.duration) <= 0.1 + 1e-6)
    }

    @Test func badOverlayRequestsGetClearErrors() async throws {
        let f = try await Self.fixture.value
        let out = f.dir + "/never.mp4"
        let missing = try await CLI.run(["export", "overlay", "--camera", "plaza", "--source", f.dir + "/nope.avi", "--out", out],
                                        environment: ["DATABASE_URL": f.url.uri])
        #expect(missing.status != 0 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
        let camera = try await CLI.run(["export", "overlay", "--camera", "lobby", "--source", f.clip, "--out", out],
                                       environment: ["DATABASE_URL": f.url.uri])
        #expect(camera.status != 0 && camera.stderr.contains("unknown camera 'lobby'"), "\(camera.stderr)")
        let run = try await CLI.run(["export", "overlay", "--run", "999", "--camera", "plaza", "--source", f.clip, "--out", out],
                                    environment: ["DATABASE_URL": f.url.uri])
        #expect(run.status != 0 && run.stderr.contains("999"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
