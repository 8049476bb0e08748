import Foundation
import VigilStore

/// One track's summary (`tracks`): a run's object on one camera from first to last sighting.
struct TrackSummary: Codable, Sendable {
    var runId: Int
    var cameraId: Int
    var trackId: Int
    var globalId: Int?
    var classId: Int
    var label: String
    var firstSeen: Date
    var lastSeen: Date
    var duration: Double
    var points: Int
    var pathLength: Double
    var lastX: Double
    var lastY: Double
}

/// One stored position of a track on a frame (`track_points`).
struct StoredTrackPoint: Codable, Sendable {
    var time: Date
    var cameraId: Int
    var runId: Int
    var frameIndex: Int
    var mediaTime: Double
    var trackId: Int
    var globalId: Int?
    var classId: Int
    var label: String
    var state: String
    var x: Double
    var y: Double
    var w: Double
    var h: Double
    var score: Double
    var mapX: Double?
    var mapY: Double?
}

/// The tracking tables: `tracks`, `track_points` and `identities` (a person across cameras). Every query
/// joins the rows' cameras and puts the caller's camera scope in its `WHERE`.
struct TrackRepository: Sendable {
    let database: Database
    static let trackKeyset = Keyset(list: "tracks", time: "t.first_seen", ids: ["t.run_id", "t.camera_id", "t.track_id"], descending: true)
    /// Trajectories read forward in time.
    static let pointKeyset = Keyset(list: "track-points", time: "p.time", ids: ["p.camera_id", "p.run_id", "p.track_id"], descending: false)

    /// Conditions shared by tracks and points; `time` and `end` are the row's first and last time.
    private static func conditions(_ f: ListParameters, _ alias: String, time: String, end: String, scope: Scope, _ sql: inout SQLBuilder) -> [String] {
        var out = [scope.cameras("c", &sql)]
        if let cameras = f.cameras { out.append("\(alias).camera_id = ANY(\(sql.bind(.array(cameras)))::int8[])") }
        if let classes = f.classes { out.append("\(alias).label = ANY(\(sql.bind(.array(classes)))::text[])") }
        if let global = f.globalID { out.append("\(alias).global_id = \(sql.bind(global))") }
        if let run = f.runID { out.append("\(alias).run_id = \(sql.bind(run))") }
        if let after = f.after { out.append("\(end) >= \(sql.bind(after))") }
        if let before = f.before { out.append("\(time) < \(sql.bind(before))") }
        return out
    }

    func tracks(_ f: ListParameters, scope: Scope) async throws -> Page<TrackSummary> {
        var sql = SQLBuilder()
        var conditions = Self.conditions(f, "t", time: "t.first_seen", end: "t.last_seen", scope: scope, &sql)
        if let cursor = f.cursor { conditions.append(Self.trackKeyset.after(cursor, &sql)) }
        let text = """
            SELECT t.run_id, t.camera_id, t.track_id, t.global_id, t.class_id, t.label, t.first_seen, t.last_seen, t.duration, t.points,
                   t.path_length, t.last_x, t.last_y, \(Self.trackKeyset.select)
            FROM tracks t JOIN cameras c ON c.id = t.camera_id WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(Self.trackKeyset.orderBy) LIMIT \(sql.bind(f.limit + 1))
            """
        let rows = try await database.query(text, binding: sql.binds, doing: "listing tracks")
        let page = try Self.trackKeyset.page(rows, limit: f.limit) { values in
            let r = Row(values)
            return TrackSummary(runId: try r.int(0), cameraId: try r.int(1), trackId: try r.int(2), globalId: r.optionalInt(3), classId: try r.int(4),
                                label: try r.text(5), firstSeen: try r.time(6), lastSeen: try r.time(7), duration: try r.double(8), points: try r.int(9),
                                pathLength: try r.double(10), lastX: try r.double(11), lastY: try r.double(12))
        }
        return Page(items: page.items, nextCursor: page.next)
    }

    func points(_ f: ListParameters, trackID: Int?, scope: Scope) async throws -> Page<StoredTrackPoint> {
        var sql = SQLBuilder()
        var conditions = Self.conditions(f, "p", time: "p.time", end: "p.time", scope: scope, &sql)
        if let trackID { conditions.append("p.track_id = \(sql.bind(trackID))") }
        if let cursor = f.cursor { conditions.append(Self.pointKeyset.after(cursor, &sql)) }
        let text = """
            SELECT p.time, p.camera_id, p.run_id, p.frame_index, p.media_time, p.track_id, p.global_id, p.class_id, p.label, p.state,
                   p.x, p.y, p.w, p.h, p.score, p.map_x, p.map_y, \(Self.pointKeyset.select)
            FROM track_points p JOIN cameras c ON c.id = p.camera_id WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(Self.pointKeyset.orderBy) LIMIT \(sql.bind(f.limit + 1))
            """
        let rows = try await database.query(text, binding: sql.binds, doing: "listing track points")
        let page = try Self.pointKeyset.page(rows, limit: f.limit) { values in
            let r = Row(values)
            return StoredTrackPoint(time: try r.time(0), cameraId: try r.int(1), runId: try r.int(2), frameIndex: try r.int(3), mediaTime: try r.double(4),
                                    trackId: try r.int(5), globalId: r.optionalInt(6), classId: try r.int(7), label: try r.text(8), state: try r.text(9),
                                    x: try r.double(10), y: try r.double(11), w: try r.double(12), h: try r.double(13), score: try r.double(14),
                                    mapX: r.optionalDouble(15), mapY: r.optionalDouble(16))
        }
        return Page(items: page.items, nextCursor: page.next)
    }
}
