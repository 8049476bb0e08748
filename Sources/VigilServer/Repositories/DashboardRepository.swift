import Foundation
import VigilStore

/// The facility dashboard's counts (`/admin/dashboard/stats`) and its suspicious-activity list, each from
/// the rows themselves (users, sessions, activity_logs, events, processing tasks), with the caller's
/// tenant scope (``Scope/tenant(_:_:narrowedTo:)``) in every subquery.
struct DashboardRepository: Sendable {
    let database: Database

    struct Stats: Codable, Sendable {
        struct Users: Codable, Sendable {
            var total: Int
            var byRole: [String: Int]
            var byStatus: [String: Int]
        }
        struct Sessions: Codable, Sendable {
            /// Log-in sessions with a live refresh token.
            var logins: Int
            /// Users with such a session.
            var users: Int
            /// Drivers' monitoring sessions running.
            var monitoring: Int
            /// Processing tasks with a job running.
            var processingTasks: Int
        }
        struct Activity: Codable, Sendable {
            var total: Int
            var byOutcome: [String: Int]
            var activeUsers: Int
        }
        struct Alerts: Codable, Sendable {
            /// Camera alerts started today.
            var total: Int
            var bySeverity: [String: Int]
            var unacknowledged: Int
            /// Security alerts raised today.
            var security: Int
        }
        struct Cameras: Codable, Sendable {
            var total: Int
            /// Cameras whose stream or recording a worker is processing now (a running run of a task over it).
            var online: Int
        }

        var asOf: Date
        /// Midnight UTC: "today" starts here.
        var since: Date
        var users: Users
        var activeSessions: Sessions
        var activityToday: Activity
        var alertsToday: Alerts
        var cameras: Cameras
    }

    func stats(scope: Scope, tenant: Int?) async throws -> Stats {
        var sql = SQLBuilder()
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let now = Date(), midnight = calendar.startOfDay(for: now)
        let today = sql.bind(midnight)
        func t(_ row: String) -> String { scope.tenant(row, &sql, narrowedTo: tenant) }
        func counts(_ key: String, _ from: String) -> String {
            "(SELECT coalesce(jsonb_object_agg(k, n), '{}')::text FROM (SELECT \(key) AS k, count(*) AS n \(from) GROUP BY 1) x)"
        }
        let users = "FROM users u WHERE \(t("u"))"
        let live = """
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE \(t("u")) AND s.revoked_at IS NULL
              AND EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family = s.id AND r.rotated_at IS NULL AND r.expires_at > now())
            """
        let activity = "FROM activity_logs a WHERE \(t("a")) AND a.time >= \(today)"
        let alerts = """
            FROM events e JOIN cameras c ON c.id = e.camera_id WHERE \(t("c")) AND e.alert_id IS NOT NULL AND e.time >= \(today)
            """
        let text = """
            SELECT (SELECT count(*) \(users)), \(counts("u.role", users)), \(counts("u.status", users)),
                   (SELECT count(*) \(live)), (SELECT count(DISTINCT s.user_id) \(live)),
                   (SELECT count(*) FROM dms_sessions d WHERE \(t("d")) AND d.ended_at IS NULL),
                   (SELECT count(*) FROM processing_tasks p WHERE \(t("p")) AND EXISTS (
                        SELECT 1 FROM processing_task_cameras tc JOIN jobs j ON j.id = tc.job_id WHERE tc.task_id = p.id AND j.state = 'running')),
                   (SELECT count(*) \(activity)), \(counts("a.outcome", activity)), (SELECT count(DISTINCT a.user_id) \(activity)),
                   (SELECT count(*) \(alerts)), \(counts("e.severity", alerts)), (SELECT count(*) \(alerts) AND NOT e.acknowledged),
                   (SELECT count(*) FROM events e WHERE e.kind = 'security' AND e.alert_id IS NOT NULL AND \(t("e")) AND e.time >= \(today)),
                   (SELECT count(*) FROM cameras c WHERE \(t("c"))),
                   (SELECT count(*) FROM cameras c WHERE \(t("c")) AND EXISTS (
                        SELECT 1 FROM processing_task_cameras tc JOIN jobs j ON j.id = tc.job_id AND j.state = 'running'
                        JOIN runs r ON r.job_id = j.id AND r.status = 'running' WHERE tc.camera_id = c.id))
            """
        guard let values = try await database.query(text, binding: sql.binds, doing: "counting the dashboard's statistics").first else {
            throw APIError.notFound("statistics")
        }
        let r = Row(values)
        return Stats(asOf: now, since: midnight,
                     users: .init(total: try r.int(0), byRole: Self.counts(r.json(1)), byStatus: Self.counts(r.json(2))),
                     activeSessions: .init(logins: try r.int(3), users: try r.int(4), monitoring: try r.int(5), processingTasks: try r.int(6)),
                     activityToday: .init(total: try r.int(7), byOutcome: Self.counts(r.json(8)), activeUsers: try r.int(9)),
                     alertsToday: .init(total: try r.int(10), bySeverity: Self.counts(r.json(11)), unacknowledged: try r.int(12),
                                        security: try r.int(13)),
                     cameras: .init(total: try r.int(14), online: try r.int(15)))
    }

    static func counts(_ value: JSONValue) -> [String: Int] {
        guard case .object(let object) = value else { return [:] }
        return object.compactMapValues { if case .number(let n) = $0 { Int(n) } else { nil } }
    }

    // MARK: Suspicious activity

    struct Suspicious: Codable, Sendable {
        /// `security_alert` (a security rule fired), `denied_access` (requests refused to a user, by action)
        /// or `failed_logins` (failed log-ins, by name and address).
        var kind: String
        /// The latest occurrence.
        var time: Date
        var severity: String
        /// The security rule, or the action refused or failed.
        var reason: String
        var message: String
        var count: Int
        var userId: UUID?
        var username: String?
        var address: String?
        /// The security alert (`/security/alerts`), for that kind.
        var alertId: String?
    }

    /// In [from, to), newest first: security alerts, and refused or failed actions grouped (at least
    /// `threshold` failed log-ins for one name and address).
    func suspicious(scope: Scope, tenant: Int?, from: Date, to: Date, threshold: Int, limit: Int) async throws -> [Suspicious] {
        var sql = SQLBuilder()
        func t(_ row: String) -> String { scope.tenant(row, &sql, narrowedTo: tenant) }
        let low = sql.bind(from), high = sql.bind(to)
        let text = """
            SELECT kind, time, severity, reason, message, n, user_id, username, address, alert_id FROM (
                SELECT 'security_alert' AS kind, e.time, e.severity, e.rule AS reason, e.message, coalesce(e.value, 1)::int8 AS n,
                       e.attributes->>'user_id' AS user_id, e.attributes->>'username' AS username, e.attributes->>'address' AS address,
                       e.alert_id
                FROM events e WHERE e.kind = 'security' AND e.alert_id IS NOT NULL AND \(t("e")) AND e.time >= \(low) AND e.time < \(high)
                UNION ALL
                SELECT 'denied_access', max(a.time), 'warning', a.action, count(*) || ' refused request(s): ' || a.action, count(*),
                       a.user_id::text, max(a.username), max(a.address), NULL
                FROM activity_logs a WHERE a.outcome = 'denied' AND \(t("a")) AND a.time >= \(low) AND a.time < \(high)
                GROUP BY a.user_id, a.action
                UNION ALL
                SELECT 'failed_logins', max(a.time), 'warning', 'auth.login', count(*) || ' failed log-in(s)', count(*),
                       max(a.user_id::text), a.username, a.address, NULL
                FROM activity_logs a WHERE a.action = 'auth.login' AND a.outcome = 'failure' AND \(t("a")) AND a.time >= \(low) AND a.time < \(high)
                GROUP BY a.username, a.address HAVING count(*) >= \(sql.bind(threshold))
            ) x ORDER BY time DESC, kind, reason LIMIT \(sql.bind(limit))
            """
        return try await database.query(text, binding: sql.binds, doing: "listing suspicious activity").map { values in
            let r = Row(values)
            return Suspicious(kind: try r.text(0), time: try r.time(1), severity: try r.text(2), reason: try r.text(3), message: try r.text(4),
                              count: try r.int(5), userId: r.optionalUUID(6), username: r.optionalText(7), address: r.optionalText(8),
                              alertId: r.optionalText(9))
        }
    }
}
