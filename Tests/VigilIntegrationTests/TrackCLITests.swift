import Foundation
import Testing

@Suite("vigil track")
struct TrackCLITests {
    static func detections(in dir: URL) throws -> URL {
        let det = dir.appendingPathComponent("det.txt")
        // One walker moving right for 10 frames, plus a frame with nothing in it.
        var text = ""
        for f in 1...10 { text += "\(f),-1,\(100 + 5 * f),50,40,80,0.9,-1,-1,-1\n" }
        try text.write(to: det, atomically: true, encoding: .utf8)
        return det
    }

    @Test func tracksWithSettingsFromAYAMLFile() async throws {
        let dir = try CLI.temporaryDirectory()
        let settings = dir.appendingPathComponent("tracker.yaml")
        try "# stricter association\nmatch_iou: 0.3\nmin_hits: 1\nmax_age_seconds: 1s\nclasses: [person]\n"
            .write(to: settings, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("tracks.txt")
        let result = try await CLI.run(["track", "--detections", try Self.detections(in: dir).path, "--out", out.path,
                                  "--fps", "10", "--tracker-config", settings.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 10)
        #expect(Set(lines.map { $0.split(separator: ",")[1] }).count == 1, "one walker, one id")
    }

    @Test func badSettingsAreReportedLikePipelineErrors() async throws {
        let dir = try CLI.temporaryDirectory()
        let settings = dir.appendingPathComponent("tracker.yaml")
        try "match_iuo: 0.3\nmin_hits: many\nmax_age_seconds: 2 fortnights\n".write(to: settings, atomically: true, encoding: .utf8)
        let result = try await CLI.run(["track", "--detections", try Self.detections(in: dir).path,
                                  "--out", dir.appendingPathComponent("t.txt").path, "--tracker-config", settings.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(settings.path):1:1: unknown key 'match_iuo'; did you mean 'match_iou'?"))
        #expect(result.stderr.contains("\(settings.path):2:11: invalid value 'many' for 'min_hits'"))
        #expect(result.stderr.contains("\(settings.path):3:18: invalid value '2 fortnights' for 'max_age_seconds'"))
    }
}
