import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// A resume costs what is left: `kill -9` of `vigil run` at about 70 % of vtest.avi (detected by a
/// network, tracked, re-identified), then `vigil run --resume`. The resumed run seeks to the last
/// committed checkpoint mark, restores the tracker's and the re-identifier's state, decodes less than
/// half of the file — and writes exactly the rows, track ids and global ids of an undisturbed run.
@Suite("Seeking resume (CLI)") struct SeekingResumeTests {
    static let frames = 795  // vtest.avi: 79.5 s at 10 frames/s

    static func pipeline(in dir: String) throws -> String {
        let path = dir + "/seeking-resume.yaml"
        try """
            sources:
              plaza:
                type: video
                url: \(RunCLITests.vtest)
            stages:
              people:
                type: detect
                inputs: [plaza]
                kind: dnn
                model: yolo-fastest-1.1_body
                confidence: 0.3
              tracks:
                type: track
                inputs: [people]
              identities:
                type: reidentify
                inputs: [tracks]
                cameras:
                  plaza:
                    homography:
                      image: [[533, 269], [620, 190], [315, 239], [655, 350], [447, 212]]
                      map:   [[4, 18],    [8, 24],    [-2, 20],   [6, 14],    [2, 22]]
            sinks:
              db:
                type: postgres
                inputs: [identities]
                batch_rows: 200
                batch_age: 100ms
                time_origin: 2024-01-01T00:00:00Z
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let pointsSQL = """
        SELECT concat_ws('|', time, frame_index, track_id, global_id, class_id, state, x, y, w, h, score, map_x, map_y)
        FROM track_points ORDER BY frame_index, track_id
        """
    static let tracksSQL = """
        SELECT concat_ws('|', track_id, global_id, first_seen, last_seen, points, round(path_length::numeric, 6))
        FROM tracks ORDER BY track_id
        """
    static let identitiesSQL = "SELECT concat_ws('|', global_id, first_seen, last_seen, cameras) FROM identities ORDER BY global_id"

    static func dump(_ url: DatabaseURL) throws -> [[String]] {
        try [pointsSQL, tracksSQL, identitiesSQL].map { try StoreResumeTests.psql(url, $0) }
    }

    static func lastFrame(_ url: DatabaseURL) -> Int {
        Int((try? StoreResumeTests.psql(url, "SELECT coalesce(max(frame_index), -1) FROM track_points").first) ?? "-1") ?? -1
    }

    @Test
    func killNineAtSeventyPercentThenResumeSeeksAndEqualsUndisturbedRun() async throws {
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try Self.pipeline(in: dir)

        try await TestPostgres.withFreshDatabase { reference in
            let run = await (try StoreResumeTests.vigil(["run", file], databaseURL: reference)).exited()
            #expect(run.status == 0 && !run.timedOut, "\(run.errors)")
            let expected = try Self.dump(reference)
            #expect(expected[0].count > 1000 && expected[1].count > 10 && !expected[2].isEmpty,
                    "the reference run wrote too little to test anything")

            try await TestPostgres.withFreshDatabase { url in
                let victim = try StoreResumeTests.vigil(["run", file], databaseURL: url)
                // Freeze the run once frames past 70 % are committed, then kill it.
                let target = Self.frames * 7 / 10
                await StoreResumeTests.freezeAndKill(victim, within: 300) { Self.lastFrame(url) >= target }
                let reached = Self.lastFrame(url)
                #expect(reached >= target && reached < Self.frames - 1, "killed at frame \(reached)")
                #expect(try StoreResumeTests.psql(url, "SELECT status FROM runs") == ["running"])
                let marks = try StoreResumeTests.psql(url, "SELECT DISTINCT mark FROM run_snapshots ORDER BY mark")
                #expect(!marks.isEmpty, "no checkpoint mark was committed")

                let metrics = dir + "/resume-metrics.json"
                let resume = await (try StoreResumeTests.vigil(["run", "--resume", file, "--metrics-json", metrics],
                                                               databaseURL: url)).exited()
                #expect(resume.status == 0 && !resume.timedOut, "\(resume.errors)")
                let summary = try JSONDecoder().decode(ResumedSummary.self,
                                                           from: Data(contentsOf: URL(fileURLWithPath: metrics)))
                let decoded = summary.framesBySource["plaza"] ?? -1
                #expect(summary.resumedAt != nil, "the resume replayed the file instead of seeking")
                #expect(decoded > 0 && decoded < Self.frames / 2, "the resume decoded \(decoded) of \(Self.frames) frames")

                let got = try Self.dump(url)
                for (k, table) in ["track_points", "tracks", "identities"].enumerated() {
                    #expect(got[k].count == expected[k].count, "\(table): \(got[k].count) rows, undisturbed \(expected[k].count)")
                    let firstDifference = zip(got[k], expected[k]).first { $0 != $1 }
                    #expect(got[k] == expected[k], "\(table) differs first at \(String(describing: firstDifference))")
                }
                #expect(try StoreResumeTests.psql(url, "SELECT count(*) || ' ' || status FROM runs GROUP BY status") == ["1 completed"])
            }
        }
    }

    /// The part of `--metrics-json` this test reads.
    struct ResumedSummary: Decodable {
        var framesBySource: [String: Int]
        var resumedAt: Double?
    }
}
