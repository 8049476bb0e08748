import Foundation
import VigilStore

/// A stored pipeline event: an alert (one row per alert, kept current by its updates and end) or a stream gap.
struct StoredEvent: Codable, Sendable {
    var id: Int
    var time: Date
    var endedAt: Date?
    var cameraId: Int
    var runId: Int?
    var rule: String
    var kind: String
    var severity: String
    var phase: String?
    var alertId: String?
    var trackId: Int?
    var globalId: Int?
    var zone: String?
    var message: String
    var value: Double?
    var peakValue: Double?
    var duration: Double?
    var attributes: JSONValue
    var acknowledged: Bool
    var acknowledgedAt: Date?
    /// Where to fetch the alert's evidence, for the kinds its stage wrote.
    var evidence: EventEvidence
}

/// An alert's evidence files (the `alert` stage's snapshot, crop and clip) as the API's URLs. The
/// paths themselves stay in the database: a client names the event and the kind, never a path.
struct EventEvidence: Codable, Sendable, Equatable {
    var snapshotUrl: String?
    var cropUrl: String?
    var clipUrl: String?

    enum Kind: String, CaseIterable, Sendable {
        case snapshot, crop, clip

        var contentType: String {
            switch self {
            case .snapshot, .crop: "image/jpeg"
            case .clip: "video/mp4"
            }
        }
    }

    /// Which of `paths` is the file of `kind`: `<alert>.jpg`, `<alert>_crop.jpg`, `<alert>.mp4|.mkv`.
    static func path(of kind: Kind, in paths: [String]) -> String? {
        paths.first { path in
            switch kind {
            case .snapshot: path.hasSuffix(".jpg") && !path.hasSuffix("_crop.jpg")
            case .crop: path.hasSuffix("_crop.jpg")
            case .clip: path.hasSuffix(".mp4") || path.hasSuffix(".mkv")
            }
        }
    }

    static func contentType(ofClip path: String) -> String { path.hasSuffix(".mkv") ? "video/x-matroska" : "video/mp4" }

    init(event id: Int, paths: [String]) {
        let url = { (kind: Kind) in Self.path(of: kind, in: paths).map { _ in "/api/v1/events/\(id)/\(kind.rawValue)" } }
        snapshotUrl = url(.snapshot); cropUrl = url(.crop); clipUrl = url(.clip)
    }
}

/// Filters of `GET /events` (Frigate's: cameras, kinds, zones, severity, acknowledged, after, before; the
/// classes are the alerts' `attributes.class`).
struct EventFilter: Sendable {
    var list: ListParameters
    var kinds: [String]?
    var zones: [String]?
    var severities: [String]?
    var acknowledged: Bool?
    /// Only the events of this driver's monitoring session (``DriverSessionRepository/sessionEvents(_:_:)``).
    var dmsSession: Int?
    /// Only the events of this driver's sessions.
    var dmsDriver: UUID?
    var rules: [String]?
}

/// The `events` rows of cameras (security alerts, which have no camera, are `/security/alerts`). Every
/// statement joins the event's camera and puts the caller's camera scope in its `WHERE`.
struct EventRepository: Sendable {
    let database: Database
    static let keyset = Keyset(list: "events", time: "e.time", ids: ["e.id"], descending: true)
    static let columns = "e.id, e.time, e.ended_at, e.camera_id, e.run_id, e.rule, e.kind, e.severity, e.phase, e.alert_id, e.track_id, "
        + "e.global_id, e.zone, e.message, e.value, e.peak_value, e.duration, e.attributes::text, e.acknowledged, e.acknowledged_at, "
        + "to_jsonb(e.evidence)::text"

    static func event(_ r: Row) throws -> StoredEvent {
        let id = try r.int(0)
        return StoredEvent(id: id, time: try r.time(1), endedAt: r.optionalTime(2), cameraId: try r.int(3), runId: r.optionalInt(4), rule: try r.text(5),
                    kind: try r.text(6), severity: try r.text(7), phase: r.optionalText(8), alertId: r.optionalText(9), trackId: r.optionalInt(10),
                    globalId: r.optionalInt(11), zone: r.optionalText(12), message: try r.text(13), value: r.optionalDouble(14),
                    peakValue: r.optionalDouble(15), duration: r.optionalDouble(16), attributes: r.json(17), acknowledged: try r.bool(18),
                    acknowledgedAt: r.optionalTime(19), evidence: EventEvidence(event: id, paths: evidencePaths(r, 20)))
    }

    static func evidencePaths(_ r: Row, _ column: Int) -> [String] {
        guard case .array(let items) = r.json(column) else { return [] }
        return items.compactMap { if case .string(let path) = $0 { path } else { nil } }
    }

    func list(_ filter: EventFilter, scope: Scope) async throws -> Page<StoredEvent> {
        var sql = SQLBuilder()
        let f = filter.list
        var conditions = [scope.cameras("c", &sql)]
        if let cameras = f.cameras { conditions.append("e.camera_id = ANY(\(sql.bind(.array(cameras)))::int8[])") }
        if let kinds = filter.kinds { conditions.append("e.kind = ANY(\(sql.bind(.array(kinds)))::text[])") }
        if let classes = f.classes { conditions.append("e.attributes->>'class' = ANY(\(sql.bind(.array(classes)))::text[])") }
        if let zones = filter.zones { conditions.append("e.zone = ANY(\(sql.bind(.array(zones)))::text[])") }
        if let severities = filter.severities { conditions.append("e.severity = ANY(\(sql.bind(.array(severities)))::text[])") }
        if let acknowledged = filter.acknowledged { conditions.append("e.acknowledged = \(sql.bind(.bool(acknowledged)))") }
        if let after = f.after { conditions.append("e.time >= \(sql.bind(after))") }
        if let before = f.before { conditions.append("e.time < \(sql.bind(before))") }
        if let global = f.globalID { conditions.append("e.global_id = \(sql.bind(global))") }
        if let run = f.runID { conditions.append("e.run_id = \(sql.bind(run))") }
        if let rules = filter.rules { conditions.append("e.rule = ANY(\(sql.bind(.array(rules)))::text[])") }
        if let driver = filter.dmsDriver {
            conditions.append("EXISTS (SELECT 1 FROM dms_sessions s WHERE s.driver_id = \(sql.bind(driver)) AND "
                              + "s.camera_id = e.camera_id AND \(DriverSessionRepository.sessionEvents("e", "s")))")
        }
        if let session = filter.dmsSession {
            conditions.append("EXISTS (SELECT 1 FROM dms_sessions s WHERE s.id = \(sql.bind(session)) AND "
                              + "\(DriverSessionRepository.sessionEvents("e", "s")))")
        }
        if let cursor = f.cursor { conditions.append(Self.keyset.after(cursor, &sql)) }
        let text = """
            SELECT \(Self.columns), \(Self.keyset.select) FROM events e JOIN cameras c ON c.id = e.camera_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(Self.keyset.orderBy) LIMIT \(sql.bind(f.limit + 1))
            """
        let rows = try await database.query(text, binding: sql.binds, doing: "listing events")
        let page = try Self.keyset.page(rows, limit: f.limit) { try Self.event(Row($0)) }
        return Page(items: page.items, nextCursor: page.next)
    }

    /// The evidence paths of an event the caller may see; nil when it may not.
    func evidence(_ id: Int, scope: Scope) async throws -> [String]? {
        var sql = SQLBuilder()
        let text = "SELECT to_jsonb(e.evidence)::text FROM events e JOIN cameras c ON c.id = e.camera_id "
            + "WHERE e.id = \(sql.bind(id)) AND \(scope.cameras("c", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading an event's evidence").first.map { Self.evidencePaths(Row($0), 0) }
    }

    func get(_ id: Int, scope: Scope) async throws -> StoredEvent? {
        var sql = SQLBuilder()
        let text = "SELECT \(Self.columns) FROM events e JOIN cameras c ON c.id = e.camera_id WHERE e.id = \(sql.bind(id)) AND \(scope.cameras("c", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading an event").first.map { try Self.event(Row($0)) }
    }

    /// What one sink batch of `run` added (events timed `low`...`high`) and changed (alerts by camera and
    /// id), as the caller may see it: for the live alerts of ``EventFeed``.
    /// `isNew`: the row was added by the batch (else only changed by it).
    func live(run: Int, low: String?, high: String?, changes: [(camera: Int, alert: String)],
              scope: Scope) async throws -> [(event: StoredEvent, isNew: Bool)] {
        var sql = SQLBuilder()
        var which: [String] = []
        var added = "false"
        if let low, let high {
            added = "e.time BETWEEN \(sql.bind(low))::timestamptz AND \(sql.bind(high))::timestamptz"
            which.append(added)
        }
        if !changes.isEmpty {
            which.append("(e.camera_id, e.alert_id) IN (SELECT * FROM unnest(\(sql.bind(.array(changes.map(\.camera))))::int4[], "
                         + "\(sql.bind(.array(changes.map(\.alert))))::text[]))")
        }
        guard !which.isEmpty else { return [] }
        let text = """
            SELECT \(Self.columns), \(added) FROM events e JOIN cameras c ON c.id = e.camera_id
            WHERE e.run_id = \(sql.bind(run)) AND (\(which.joined(separator: " OR "))) AND \(scope.cameras("c", &sql))
            ORDER BY e.time, e.id LIMIT 1000
            """
        return try await database.query(text, binding: sql.binds, doing: "reading live events").map {
            (try Self.event(Row($0)), $0.last?.bool ?? false)
        }
    }

    /// For the audit log only: the tenant owning the camera of an event the caller could not see.
    func unscopedOwner(_ id: Int) async throws -> Int? {
        var sql = SQLBuilder()
        return try await database.query("SELECT c.tenant_id FROM events e JOIN cameras c ON c.id = e.camera_id WHERE e.id = \(sql.bind(id))",
                                        binding: sql.binds, doing: "auditing an event lookup").first?.first?.int
    }

    /// Marks an event acknowledged (once: a second acknowledgement keeps the first one's time and user).
    func acknowledge(_ id: Int, by user: UUID, scope: Scope) async throws -> StoredEvent? {
        var sql = SQLBuilder()
        let text = """
            UPDATE events e SET acknowledged = true, acknowledged_at = coalesce(e.acknowledged_at, now()),
                acknowledged_by = coalesce(e.acknowledged_by, \(sql.bind(user)))
            FROM cameras c WHERE c.id = e.camera_id AND e.id = \(sql.bind(id)) AND \(scope.cameras("c", &sql)) RETURNING \(Self.columns)
            """
        return try await database.query(text, binding: sql.binds, doing: "acknowledging an event").first.map { try Self.event(Row($0)) }
    }
}
