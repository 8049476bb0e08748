import Foundation
import Testing
import VigilCore
import VigilTesting

/// Evidence clips: `vigil export clip` by stream copy and exact re-encoding, and the alert stage's `clip:`.
@Suite("Evidence clips (CLI)") struct ClipExportTests {
    struct Clip: Decodable {
        var path: String
        var requested_start: Double
        var actual_start: Double
        var end: Double
        var frames: Int
        var codec: String
    }

    static func clip(_ args: [String]) async throws -> (Clip?, CLI.Result) {
        let result = try await CLI.run(["export", "clip"] + args)
        let clip = try? JSONDecoder().decode(Clip.self, from: Data(result.stdout.utf8))
        return (clip, result)
    }

    @Test func streamCopyStartsAtAKeyFrameAtOrBeforeTheRequestedTimeAndEndsAfterIt() async throws {
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/copy.mkv"
        let (clip, result) = try await Self.clip(["--source", RunCLITests.vtest, "--at", "30s", "--before", "3s", "--after", "3s",
                                                  "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let c = try #require(clip)
        #expect(c.requested_start == 27)
        #expect(c.actual_start <= 27 + 1e-9 && c.actual_start > 20, "actual start \(c.actual_start)")
        let probe = try await OverlayExportTests.probe(out)
        #expect(probe.codec == "msmpeg4v3", "stream copy keeps the source's codec")
        #expect(probe.frames == c.frames && probe.frames > 0)
        // It covers the requested time: from the actual start for its duration, past 30 s.
        #expect(c.actual_start + probe.duration > 30, "\(c.actual_start) + \(probe.duration)")
        #expect(c.end >= 30)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["copy.mkv"])
    }

    @Test func exactClipHasTheRequestedDuration() async throws {
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/exact.mp4"
        let (clip, result) = try await Self.clip(["--source", RunCLITests.vtest, "--at", "30s", "--before", "3s", "--after", "3s",
                                                  "--exact", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let c = try #require(clip)
        #expect(abs(c.actual_start - 27) < 0.1 + 1e-9)
        let probe = try await OverlayExportTests.probe(out)
        #expect(probe.codec == "h264")
        #expect(abs(probe.frames - 60) <= 1, "\(probe.frames) frames for 6 s at 10 fps")
        #expect(abs(probe.duration - 6) <= 0.1 + 1e-6, "\(probe.duration) s")
    }

    @Test func badClipRequestsGetClearErrors() async throws {
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, missing) = try await Self.clip(["--source", dir + "/none.avi", "--at", "3s", "--out", dir + "/x.mkv"])
        #expect(missing.status != 0 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
        let (_, late) = try await Self.clip(["--source", RunCLITests.vtest, "--at", "500s", "--out", dir + "/y.mkv"])
        #expect(late.status != 0 && late.stderr.contains("no video after"), "\(late.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func alertStageAttachesAClipToItsEvents() async throws {
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/clips.yaml"
        try """
            sources:
              plaza: {type: video, url: \(RunCLITests.vtest), end: 6s}
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
                clip: {before: 1s, after: 2s, path: \(dir)/clips}
            sinks:
              out: {type: jsonl, inputs: [alerts], path: \(dir)/events.jsonl, frames_without_objects: false}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await CLI.run(["run", file, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        var starts = 0
        for line in try String(contentsOfFile: dir + "/events.jsonl", encoding: .utf8).split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["kind"] as? String == "event", object["phase"] as? String == "start" else { continue }
            starts += 1
            let evidence = object["evidence"] as? [String] ?? []
            let clip = try #require(evidence.first { $0.hasSuffix(".mkv") }, "no clip in \(evidence)")
            #expect(clip.hasPrefix(dir + "/clips/"))
            let probe = try await OverlayExportTests.probe(clip)
            #expect(probe.frames > 0 && probe.codec == "msmpeg4v3")
            let attributes = object["attributes"] as? [String: Any] ?? [:]
            let requested = Double(attributes["clip_requested_start"] as? String ?? "") ?? .nan
            let actual = Double(attributes["clip_actual_start"] as? String ?? "") ?? .nan
            #expect(actual <= requested + 1e-9, "actual \(actual), requested \(requested)")
        }
        #expect(starts > 0, "the run raised no alert")
    }
}
