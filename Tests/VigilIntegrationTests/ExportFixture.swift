import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// One real run shared by the export tests: the first 8 s of vtest.avi detected (DNN), tracked,
/// re-identified onto the site plan (map coordinates, global ids), alerts whose messages hold commas,
/// quotes and non-ASCII text, line crossings, evidence snapshots, 2 s aggregates, all into PostgreSQL — plus a few rows added by SQL for
/// what a real run does not produce (a label with a comma, a quote and a line break, NULL map
/// coordinates, an event with an empty zone).
enum ExportFixture {
    struct Run: Sendable {
        var url: DatabaseURL
        var directory: String
        var pipeline: String
    }

    static let origin = "2024-03-10T23:59:58+02:00"

    static let shared = Task<Run, any Error> {
        let server = try TestPostgres.serverURL()
        let name = "vigil_export_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try await EmbeddedPostgres.createDatabase(name, on: server, logger: TestPostgres.logger, ifMissing: false)
        let url = server.with(database: name)
        let dir = try CLI.temporaryDirectory().path
        let file = dir + "/export-run.yaml"
        try """
            sources:
              plaza:
                type: video
                url: \(RunCLITests.vtest)
                end: 8s
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
              alerts:
                type: alert
                inputs: [identities]
                zones:
                  walkway: {polygon: [[0, 190], [330, 185], [560, 160], [700, 190], [700, 340], [330, 300], [0, 235]]}
                lines:
                  crossing: {points: [[330, 150], [330, 320]], band: 4, min_side_time: 0.4s}
                rules:
                  arrivals: {kind: zone_enter, zone: walkway, message: "Zoné «{zone}», track \\"{track}\\", ok"}
                  counting: {kind: line_cross, line: crossing}
                evidence: {path: \(dir)/evidence}
              windows:
                type: aggregate
                inputs: [alerts]
                window: 2s
            sinks:
              db:
                type: postgres
                inputs: [alerts, windows]
                time_origin: \(origin)
              live_points:
                type: export
                inputs: [alerts]
                data: track_points
                format: csv
                path: \(dir)/live/points.csv
                time_origin: \(origin)
              live_events:
                type: export
                inputs: [alerts]
                data: events
                format: jsonl
                path: \(dir)/live/events.jsonl
                time_origin: \(origin)
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await CLI.run(["run", file, "--quiet"], environment: ["DATABASE_URL": url.uri])
        guard run.status == 0 else { throw ChildProcessError("vigil run failed: \(run.stderr)") }
        try psql(url, """
            INSERT INTO track_points (time, camera_id, run_id, frame_index, media_time, track_id, global_id, class_id, label,
                                      state, x, y, w, h, score, map_x, map_y)
            SELECT time + interval '1 microsecond', camera_id, run_id, frame_index, media_time, 9999, NULL, 7,
                   E'Fußgänger, "groß"\\nzweite Zeile', 'tentative', 0.1, 1e-7, 12345678.9, 0, 0.3333333333333333, NULL, NULL
            FROM track_points ORDER BY time LIMIT 3;
            INSERT INTO events (time, camera_id, run_id, media_time, rule, kind, severity, message, attributes, evidence)
            SELECT time, camera_id, run_id, 1.5, 'manual', 'note', 'warning', E'a, "quoted"\\r\\nmessage; ünïcødé ✓',
                   '{"clé": "välue, \\"x\\""}', ARRAY['/tmp/a b.jpg', 'c,d.jpg']
            FROM track_points ORDER BY time LIMIT 1;
            """)
        return Run(url: url, directory: dir, pipeline: file)
    }

    static func run() async throws -> Run { try await shared.value }

    @discardableResult
    static func psql(_ url: DatabaseURL, _ sql: String, environment: [String: String] = [:]) throws -> [String] {
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let password = url.password { env["PGPASSWORD"] = password }
        let script = FileManager.default.temporaryDirectory.path + "/vigil-psql-\(UUID().uuidString.prefix(8)).sql"
        try sql.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let result = try ChildProcess.blocking(["/usr/bin/psql", url.libpqString, "-Atq", "-v", "ON_ERROR_STOP=1", "-f", script],
                                          environment: env, timeout: 120)
        guard result.status == 0 else { throw ChildProcessError("psql failed (\(result.status)): \(result.errors)") }
        return result.output.split(separator: "\n").map(String.init)
    }

    static func export(_ args: [String], url: DatabaseURL) async throws -> CLI.Result {
        try await CLI.run(["export"] + args, environment: ["DATABASE_URL": url.uri])
    }
}
