import Foundation
import VigilStore

/// Results as a pipeline's `postgres` sink leaves them (runs, events, tracks, track points, identities,
/// aggregate rows), written straight into the tables on fixed days, for the query endpoints' tests.
struct ResultRows: Sendable {
    let database: Database
    /// Every row's time is this instant plus some seconds.
    static let origin = "2026-11-15T10:00:00Z"

    init(_ server: TestServer) async throws {
        database = server.database
        try await PartitionManager(database: database).ensure(days: Set(["20261115", "20261116", "20261117"].compactMap { UTCDay(compact: $0) }))
    }

    private func at(_ sql: inout [SQLValue], _ seconds: Int) -> String {
        sql.append(.int(seconds))
        return "(timestamptz '\(Self.origin)' + $\(sql.count) * interval '1 second')"
    }

    /// A run whose rows span `from`...`to` seconds after the origin.
    func run(from: Int = 0, to: Int = 86_400) async throws -> Int {
        var b: [SQLValue] = []
        let text = "INSERT INTO runs (pipeline_name, sink, mode, time_origin, data_from, data_until, status) "
            + "VALUES ('test', 'db', 'batch', now(), \(at(&b, from)), \(at(&b, to)), 'completed') RETURNING id"
        return try await database.query(text, binding: b, doing: "test run")[0][0].int ?? 0
    }

    @discardableResult
    func event(camera: Int, run: Int, at seconds: Int, kind: String = "dwell", severity: String = "warning", zone: String? = nil,
               globalID: Int? = nil, label: String? = nil, message: String = "an alert") async throws -> Int {
        var b: [SQLValue] = []
        let time = at(&b, seconds)
        let attributes = label.map { "{\"class\": \"\($0)\"}" } ?? "{}"
        b += [.int(camera), .int(run), .text(kind), .text(severity), zone.map(SQLValue.text) ?? .null, globalID.map(SQLValue.int) ?? .null, .text(message),
              .text(attributes)]
        let n = b.count
        let text = """
            INSERT INTO events (time, camera_id, run_id, media_time, rule, kind, severity, zone, global_id, message, attributes, alert_id, phase)
            VALUES (\(time), $\(n - 7), $\(n - 6), 0, 'rule-' || $\(n - 5), $\(n - 5), $\(n - 4), $\(n - 3), $\(n - 2), $\(n - 1), $\(n)::jsonb,
                    'alert-' || gen_random_uuid(), 'start')
            RETURNING id
            """
        return try await database.query(text, binding: b, doing: "test event")[0][0].int ?? 0
    }

    /// A track with one point a second from `from` to `to`.
    func track(camera: Int, run: Int, track: Int, globalID: Int? = nil, label: String = "person", from: Int, to: Int) async throws {
        var b: [SQLValue] = []
        let first = at(&b, from), last = at(&b, to)
        b += [.int(run), .int(camera), .int(track), globalID.map(SQLValue.int) ?? .null, .text(label), .int(to - from + 1)]
        let n = b.count
        try await database.execute("""
            INSERT INTO tracks (run_id, camera_id, track_id, global_id, class_id, label, first_seen, last_seen, points, path_length, last_x, last_y)
            VALUES ($\(n - 5), $\(n - 4), $\(n - 3), $\(n - 2), 0, $\(n - 1), \(first), \(last), $\(n), 10, 1, 2)
            """, binding: b, doing: "test track")
        var p: [SQLValue] = [.int(from), .int(to), .int(camera), .int(run), .int(track), globalID.map(SQLValue.int) ?? .null, .text(label)]
        p.append(.text(Self.origin))
        try await database.execute("""
            INSERT INTO track_points (time, camera_id, run_id, frame_index, media_time, track_id, global_id, class_id, label, state, x, y, w, h, score)
            SELECT $8::timestamptz + s * interval '1 second', $3, $4, s, s, $5, $6, 0, $7, 'tracked', s, 1, 10, 20, 0.9
            FROM generate_series($1::int, $2::int) s
            """, binding: p, doing: "test track points")
    }

    func identity(run: Int, globalID: Int, cameras: [Int], from: Int, to: Int) async throws {
        var b: [SQLValue] = []
        let first = at(&b, from), last = at(&b, to)
        b += [.int(run), .int(globalID), .array(cameras)]
        let n = b.count
        try await database.execute("""
            INSERT INTO identities (run_id, global_id, first_seen, last_seen, cameras) VALUES ($\(n - 2), $\(n - 1), \(first), \(last), $\(n)::int4[])
            """, binding: b, doing: "test identity")
    }

    func aggregate(camera: Int, run: Int, at seconds: Int, name: String = "unique_tracks", value: Double = 3, zone: String? = nil) async throws {
        var b: [SQLValue] = []
        let time = at(&b, seconds)
        let dimensions = zone.map { "{\"zone\": \"\($0)\", \"class\": \"person\"}" } ?? "{\"class\": \"person\"}"
        b += [.int(camera), .int(run), .text(name), .double(value), .text(dimensions)]
        let n = b.count
        try await database.execute("""
            INSERT INTO aggregates (time, camera_id, run_id, window_seconds, name, value, dimensions)
            VALUES (\(time), $\(n - 4), $\(n - 3), 60, $\(n - 2), $\(n - 1), $\(n)::jsonb)
            """, binding: b, doing: "test aggregate")
    }
}

extension TestServer.Reply {
    /// The objects of a list answer's `key`.
    func items(_ key: String) -> [[String: Any]] { (self[key] as? [[String: Any]]) ?? [] }
    func ints(_ key: String, _ field: String) -> [Int] { items(key).compactMap { $0[field] as? Int } }
}
