import Foundation
import VigilCore
import VigilStore

/// A driver's monitoring session (`dms_sessions`): its camera and task, and once ended its duration and
/// alert counts.
struct DriverSession: Codable, Sendable {
    /// A monitoring session watches the driver with their calibration; a calibration session measures
    /// one (every rule off) and stores it at its end.
    enum Kind: String, Codable, Sendable { case monitoring, calibration }

    var id: Int
    var kind: Kind
    var tenantId: Int
    var driverId: UUID
    var driver: String
    var cameraId: Int
    var taskId: Int?
    var startedAt: Date
    var endedAt: Date?
    var duration: Double?
    var totalAlerts: Int?
    var drowsinessAlerts: Int?
    var distractionAlerts: Int?
    var yawnAlerts: Int?
    var state: String
}

/// The sessions of drivers, read with the caller's driver scope (``Scope/drivers(_:_:)``) in every query.
struct DriverSessionRepository: Sendable {
    let database: Database

    /// Alerts counted as each kind, by the rules of `Pipelines/driver-monitoring.yaml` (others count in the total only).
    static let drowsinessRules = ["drowsiness", "perclos"]
    static let distractionRules = ["no_face", "looking_away", "distraction"]
    static let yawnRules = ["yawn"]

    static let columns = """
        s.id, s.tenant_id, s.driver_id::text, u.username, s.camera_id, s.task_id, s.started_at, s.ended_at,
        extract(epoch FROM s.ended_at - s.started_at)::float8, s.total_alerts, s.drowsiness_alerts, s.distraction_alerts, s.yawn_alerts, s.kind
        """

    static func session(_ r: Row) throws -> DriverSession {
        DriverSession(id: try r.int(0), kind: DriverSession.Kind(rawValue: try r.text(13)) ?? .monitoring, tenantId: try r.int(1), driverId: try r.uuid(2), driver: try r.text(3), cameraId: try r.int(4),
                      taskId: r.optionalInt(5), startedAt: try r.time(6), endedAt: r.optionalTime(7), duration: r.optionalDouble(8),
                      totalAlerts: r.optionalInt(9), drowsinessAlerts: r.optionalInt(10), distractionAlerts: r.optionalInt(11),
                      yawnAlerts: r.optionalInt(12), state: r.optionalTime(7) == nil ? "running" : "ended")
    }

    /// The driver's own push camera (`driver-<username>`).
    func driverCamera(driver: UUID, username: String, tenant: Int) async throws -> Int {
        try await PersonalCameraRepository(database: database).camera(for: driver, named: "driver-" + username, tenant: tenant)
    }

    /// A new running session; nil when the driver already has one running.
    func start(tenant: Int, driver: UUID, camera: Int, kind: DriverSession.Kind) async throws -> Int? {
        let rows = try await database.query("""
            INSERT INTO dms_sessions (tenant_id, driver_id, camera_id, kind) VALUES ($1::int4, $2::uuid, $3::int4, $4)
            ON CONFLICT (driver_id) WHERE ended_at IS NULL DO NOTHING RETURNING id
            """, binding: [.int(tenant), .text(driver.uuidString), .int(camera), .text(kind.rawValue)], doing: "starting a monitoring session")
        return rows.first?.first?.int
    }

    /// Removes a session whose task could not be started.
    func discard(_ id: Int) async throws {
        _ = try await database.query("DELETE FROM dms_sessions WHERE id = $1::int8 AND task_id IS NULL", binding: [.int(id)],
                                     doing: "discarding a session that did not start")
    }

    func attach(task: Int, to session: Int) async throws {
        _ = try await database.query("UPDATE dms_sessions SET task_id = $1::int8 WHERE id = $2::int8", binding: [.int(task), .int(session)],
                                     doing: "recording the session's task")
    }

    /// The driver's running session, if any (for `stop_monitoring` and a second start).
    func running(driver: UUID) async throws -> DriverSession? {
        var sql = SQLBuilder()
        let text = "SELECT \(Self.columns) FROM dms_sessions s JOIN users u ON u.id = s.driver_id "
            + "WHERE s.driver_id = \(sql.bind(driver)) AND s.ended_at IS NULL"
        return try await database.query(text, binding: sql.binds, doing: "reading a running session").first.map { try Self.session(Row($0)) }
    }

    /// The condition that event `e` belongs to session `s`: its task's runs wrote it, or the driver's app
    /// raised it in the session (`POST /dms/sessions/{id}/alerts`). (Not by time: event times are the
    /// frames', which the driver's device stamps.)
    static func sessionEvents(_ e: String, _ s: String) -> String {
        "(\(e).run_id IN (SELECT r.id FROM runs r JOIN processing_task_cameras tc ON tc.job_id = r.job_id WHERE tc.task_id = \(s).task_id) "
            + "OR \(e).attributes->>'dms_session' = \(s).id::text)"
    }

    /// Ends a running session the caller may see: its end time and its alert counts, from its events
    /// (``sessionEvents(_:_:)``). nil when there is no such running session.
    func end(_ id: Int, scope: Scope) async throws -> DriverSession? {
        var sql = SQLBuilder()
        let drowsy = sql.bind(.array(Self.drowsinessRules)), distracted = sql.bind(.array(Self.distractionRules)), yawns = sql.bind(.array(Self.yawnRules))
        let text = """
            WITH counted AS (
                SELECT s.id, count(e.*) AS total,
                       count(e.*) FILTER (WHERE e.rule = ANY(\(drowsy)::text[])) AS drowsiness,
                       count(e.*) FILTER (WHERE e.rule = ANY(\(distracted)::text[])) AS distraction,
                       count(e.*) FILTER (WHERE e.rule = ANY(\(yawns)::text[])) AS yawn
                FROM dms_sessions s
                LEFT JOIN events e ON e.camera_id = s.camera_id AND e.alert_id IS NOT NULL AND \(Self.sessionEvents("e", "s"))
                WHERE s.id = \(sql.bind(id)) AND s.ended_at IS NULL AND \(scope.drivers("s", &sql))
                GROUP BY s.id
            )
            UPDATE dms_sessions s SET ended_at = now(), total_alerts = c.total, drowsiness_alerts = c.drowsiness,
                   distraction_alerts = c.distraction, yawn_alerts = c.yawn
            FROM counted c WHERE s.id = c.id RETURNING s.id
            """
        guard try await database.query(text, binding: sql.binds, doing: "ending a monitoring session").first != nil else { return nil }
        return try await get(id, scope: scope)
    }

    /// An alert the driver's app raised in running session `session`: an `events` row of the session's
    /// camera, kind `client`, ended at once (`duration` after `time`), with the driver as its subject and
    /// the app's measurements among its attributes; the day's statistics are refreshed and the live feed
    /// told. Its id.
    func raiseClientAlert(_ session: DriverSession, rule: String, severity: String, message: String, time: Date, duration: Double,
                          value: Double?, metrics: [String: Double]) async throws -> Int {
        try await PartitionManager(database: database).ensure(days: [UTCDay(time)], tables: ["events"])
        var attributes: [String: JSONValue] = metrics.mapValues { .number($0) }
        attributes["subject"] = .string(session.driverId.uuidString.lowercased())
        attributes["dms_session"] = .string(String(session.id))
        attributes["source"] = "client"
        let json = String(decoding: try JSONEncoder().encode(JSONValue.object(attributes)), as: UTF8.self)
        return try await database.transaction(doing: "storing a client alert") { tx in
            var sql = SQLBuilder()
            let at = sql.bind(time)
            let text = """
                INSERT INTO events (time, camera_id, run_id, media_time, rule, kind, severity, message, attributes, alert_id, phase,
                                    ended_at, duration, value, peak_value, tenant_id)
                VALUES (\(at), \(sql.bind(session.cameraId)), NULL, greatest(0, extract(epoch FROM \(at)::timestamptz - \(sql.bind(session.startedAt))::timestamptz)),
                        \(sql.bind(rule)), 'client', \(sql.bind(severity)), \(sql.bind(message)), \(sql.bind(json))::jsonb,
                        \(sql.bind("client:" + UUID().uuidString.lowercased())), 'end', \(at)::timestamptz + make_interval(secs => \(sql.bind(.double(duration)))),
                        \(sql.bind(.double(duration))), \(sql.bind(value.map(SQLValue.double) ?? .null))::float8, \(sql.bind(value.map(SQLValue.double) ?? .null))::float8,
                        \(sql.bind(session.tenantId)))
                RETURNING id
                """
            guard let id = try await tx.query(text, sql.binds).first?.first?.int else { throw VigilError(.database, "the alert was not stored") }
            _ = try await tx.query("SELECT vigil_refresh_daily_statistics($1::timestamptz, $1::timestamptz)", [.time(time)])
            // Every server's live feed tells its alert listeners, once this commits.
            _ = try await tx.query("SELECT pg_notify($1, $2)", [.text(LiveChannels.events), .text(#"{"event":\#(id)}"#)])
            return id
        }
    }

    func get(_ id: Int, scope: Scope) async throws -> DriverSession? {
        try await list(scope: scope, id: id, driver: nil, limit: 1, offset: 0).first
    }

    /// Newest first.
    func list(scope: Scope, id: Int? = nil, driver: UUID?, limit: Int, offset: Int) async throws -> [DriverSession] {
        var sql = SQLBuilder()
        var conditions = [scope.drivers("s", &sql)]
        if let id { conditions.append("s.id = \(sql.bind(id))") }
        if let driver { conditions.append("s.driver_id = \(sql.bind(driver))") }
        let text = """
            SELECT \(Self.columns) FROM dms_sessions s JOIN users u ON u.id = s.driver_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY s.started_at DESC, s.id DESC LIMIT \(sql.bind(limit)) OFFSET \(sql.bind(offset))
            """
        return try await database.query(text, binding: sql.binds, doing: "listing monitoring sessions").map { try Self.session(Row($0)) }
    }

    /// For the audit log only: the tenant of a session the caller could not see.
    func unscopedTenant(_ id: Int) async throws -> Int? {
        try await database.query("SELECT tenant_id FROM dms_sessions WHERE id = $1::int8", binding: [.int(id)],
                                 doing: "auditing a session lookup").first?.first?.int
    }
}
