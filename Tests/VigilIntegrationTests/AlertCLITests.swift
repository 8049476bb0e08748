import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// The `alert` and `aggregate` stages through the CLI on real frames, into a real PostgreSQL.
@Suite("Alerts and aggregates (CLI)") struct AlertCLITests {
    /// People on the first `seconds` of vtest.avi: detected, tracked, zone/line/dwell/crowd rules, minute windows.
    static func pipeline(in dir: String, seconds: Int, sinks: String, paced: Bool = false) throws -> String {
        let path = dir + "/alerts-\(UUID().uuidString.prefix(6)).yaml"
        try """
            sources:
              plaza:
                type: video
                url: \(RunCLITests.vtest)
                end: \(seconds)s
                paced: \(paced)
                buffer: {max_events: 8, when_full: block}
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
              alerts:
                type: alert
                inputs: [tracks]
                zones:
                  walkway: {polygon: [[0, 190], [330, 185], [560, 160], [700, 190], [700, 340], [330, 300], [0, 235]]}
                lines:
                  crossing: {points: [[330, 150], [330, 320]], band: 4, min_side_time: 0.4s}
                rules:
                  arrivals: {kind: zone_enter, zone: walkway}
                  departures: {kind: zone_exit, zone: walkway}
                  counting: {kind: line_cross, line: crossing}
                  loitering: {kind: dwell, zone: walkway, for: 8s, update_every: 2s}
                  crowding: {kind: crowd, zone: walkway, count: 4, for: 1s, clear_for: 1s}
                evidence: {path: \(dir)/evidence}
              per_minute:
                type: aggregate
                inputs: [alerts]
                window: 10s
            sinks:
            \(sinks)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func events(_ jsonl: String) throws -> [String] {
        try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard object?["kind"] as? String == "event", let id = object?["alert_id"] as? String else { return nil }
            return "\(id) \(object?["phase"] ?? "-") \(object?["time"] ?? "-") \(object?["value"] ?? "-")"
        }
    }

    @Test func theSameFileGivesTheSameAlertsInBatchAndInStreamMode() async throws {
        let dir = try CLI.temporaryDirectory().path
        let sinks = { (name: String) in "  out:\n    type: jsonl\n    inputs: [alerts]\n    path: \(dir)/\(name).jsonl" }
        let batch = try await CLI.run(["run", try Self.pipeline(in: dir, seconds: 12, sinks: sinks("batch")), "--mode", "batch"])
        #expect(batch.status == 0, "\(batch.stderr)")
        let stream = try await CLI.run(["run", try Self.pipeline(in: dir, seconds: 12, sinks: sinks("stream"), paced: true),
                                  "--mode", "stream"])
        #expect(stream.status == 0, "\(stream.stderr)")
        let a = try Self.events(dir + "/batch.jsonl"), b = try Self.events(dir + "/stream.jsonl")
        #expect(a.count > 10, "too few alerts to compare: \(a)")
        #expect(a == b)
    }

    @Test func oneRowPerAlertAndAggregatesThatSQLConfirms() async throws {
        let dir = try CLI.temporaryDirectory().path
        let file = try Self.pipeline(in: dir, seconds: 30, sinks: """
              db:
                type: postgres
                inputs: [alerts, per_minute]
                time_origin: 2024-01-01T00:00:00Z
            """)
        try await TestPostgres.withFreshDatabase { url in
            for _ in 0..<2 {   // the second run replaces the first: still one row per alert
                let run = try await CLI.run(["run", file], environment: ["DATABASE_URL": url.uri])
                #expect(run.status == 0, "\(run.stderr)")
            }
            let psql = { (sql: String) in try StoreResumeTests.psql(url, sql) }
            let alerts = try psql("SELECT count(*), count(DISTINCT alert_id), count(*) FILTER (WHERE phase = 'end' AND ended_at IS NOT NULL) FROM events WHERE alert_id IS NOT NULL")
            let counts = alerts.first?.split(separator: "|").map(String.init) ?? []
            #expect(counts.count == 3 && counts[0] == counts[1] && counts[0] == counts[2] && (Int(counts[0]) ?? 0) > 10, "\(alerts)")
            #expect(try psql("SELECT count(*) FROM events WHERE duration < 0 OR ended_at < time") == ["0"])
            #expect(try psql("SELECT count(DISTINCT run_id) FROM events") == ["1"])

            // Unique people per 10 s window and people per frame, recomputed from the stored track points.
            let mismatches = try psql("""
                WITH points AS (
                    SELECT floor(media_time / 10) AS w, frame_index, track_id FROM track_points WHERE state = 'confirmed'
                ), sql AS (
                    SELECT w, count(DISTINCT track_id) AS unique_tracks, count(*) AS points,
                           (SELECT max(n) FROM (SELECT count(*) AS n FROM points q WHERE q.w = p.w GROUP BY frame_index) f) AS peak
                    FROM points p GROUP BY w
                ), agg AS (
                    SELECT floor(extract(epoch FROM time - '2024-01-01T00:00:00Z') / 10) AS w,
                           max(value) FILTER (WHERE name = 'unique_tracks') AS unique_tracks,
                           max(value) FILTER (WHERE name = 'objects_mean') AS mean,
                           max(value) FILTER (WHERE name = 'objects_max') AS peak,
                           max(value) FILTER (WHERE name = 'frames') AS frames
                    FROM aggregates GROUP BY 1
                )
                SELECT count(*) FROM sql FULL JOIN agg USING (w)
                WHERE sql.unique_tracks IS DISTINCT FROM agg.unique_tracks::bigint OR sql.peak IS DISTINCT FROM agg.peak::bigint
                   OR round(agg.mean * agg.frames) IS DISTINCT FROM sql.points
                """)
            #expect(mismatches == ["0"])
            #expect(try psql("SELECT count(DISTINCT time) FROM aggregates WHERE name = 'frames'") == ["3"])
            // Daily statistics count the alerts that have a duration (not the enter/exit/crossing counts).
            let daily = try psql("SELECT alerts FROM daily_statistics")
            let expected = try psql("SELECT count(*) FROM events WHERE kind IN ('dwell', 'crowd')")
            #expect(daily == expected)
        }
    }
}
