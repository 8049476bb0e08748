import Foundation
import VigilStore

/// One staff member's activity over a period (from the audit log) and performance (actions per day, how
/// soon they acknowledged alerts), for administrators and supervisors: the member is read with the
/// caller's user scope (``Scope/users(_:_:)``).
struct StaffRepository: Sendable {
    let database: Database

    struct ActionCount: Codable, Sendable {
        var action: String
        var count: Int
    }

    struct DayCount: Codable, Sendable {
        var day: String
        var actions: Int
    }

    struct ActivitySummary: Codable, Sendable {
        var userId: UUID
        var username: String
        var departmentId: Int?
        var period: String
        var from: Date
        var to: Date
        var actions: Int
        var byOutcome: [String: Int]
        var topActions: [ActionCount]
        var byDay: [DayCount]
        var firstAt: Date?
        var lastAt: Date?
        var addresses: Int
    }

    struct Performance: Codable, Sendable {
        var userId: UUID
        var username: String
        var period: String
        var from: Date
        var to: Date
        /// Days of the period up to now.
        var days: Int
        var activeDays: Int
        var actions: Int
        var actionsPerDay: Double
        var actionsPerActiveDay: Double
        /// Alerts the member acknowledged in the period (by acknowledgement time).
        var alertsAcknowledged: Int
        /// Seconds from an alert's start to the member's acknowledgement.
        var meanResponseSeconds: Double?
        var medianResponseSeconds: Double?
        var p90ResponseSeconds: Double?
    }

    static func actionCounts(_ value: JSONValue) -> [ActionCount] {
        guard case .array(let items) = value else { return [] }
        return items.compactMap { item in
            guard case .object(let o) = item, case .string(let action)? = o["action"], case .number(let n)? = o["count"] else { return nil }
            return ActionCount(action: action, count: Int(n))
        }
    }

    /// The member (id, username, department) if the caller sees them.
    private func member(_ id: UUID, scope: Scope) async throws -> (UUID, String, Int?)? {
        var sql = SQLBuilder()
        let text = "SELECT u.id::text, u.username, u.department_id FROM users u WHERE u.id = \(sql.bind(id)) AND \(scope.users("u", &sql))"
        guard let r = try await database.query(text, binding: sql.binds, doing: "finding a staff member").first.map(Row.init) else { return nil }
        return (try r.uuid(0), try r.text(1), r.optionalInt(2))
    }

    func activity(_ id: UUID, from: Date, to: Date, period: String, scope: Scope) async throws -> ActivitySummary? {
        guard let (user, username, department) = try await member(id, scope: scope) else { return nil }
        var sql = SQLBuilder()
        let rows = "FROM activity_logs a WHERE a.user_id = \(sql.bind(user)) AND a.time >= \(sql.bind(from)) AND a.time < \(sql.bind(to))"
        let text = """
            SELECT (SELECT count(*) \(rows)),
                   (SELECT coalesce(jsonb_object_agg(outcome, n), '{}')::text FROM (SELECT a.outcome, count(*) AS n \(rows) GROUP BY 1) x),
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('action', action, 'count', n) ORDER BY n DESC, action), '[]')::text
                    FROM (SELECT a.action, count(*) AS n \(rows) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20) x),
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('day', day, 'actions', n) ORDER BY day), '[]')::text
                    FROM (SELECT (a.time AT TIME ZONE 'UTC')::date::text AS day, count(*) AS n \(rows) GROUP BY 1) x),
                   (SELECT min(a.time) \(rows)), (SELECT max(a.time) \(rows)), (SELECT count(DISTINCT a.address) \(rows))
            """
        let r = Row(try await database.query(text, binding: sql.binds, doing: "summarising a staff member's activity").first ?? [])
        var byDay: [DayCount] = []
        if case .array(let items) = r.json(3) {
            for case .object(let o) in items {
                if case .string(let day)? = o["day"], case .number(let n)? = o["actions"] { byDay.append(DayCount(day: day, actions: Int(n))) }
            }
        }
        return ActivitySummary(userId: user, username: username, departmentId: department, period: period, from: from, to: to,
                               actions: try r.int(0), byOutcome: DashboardRepository.counts(r.json(1)), topActions: Self.actionCounts(r.json(2)),
                               byDay: byDay, firstAt: r.optionalTime(4), lastAt: r.optionalTime(5), addresses: try r.int(6))
    }

    func performance(_ id: UUID, from: Date, to: Date, period: String, scope: Scope) async throws -> Performance? {
        guard let (user, username, _) = try await member(id, scope: scope) else { return nil }
        var sql = SQLBuilder()
        let u = sql.bind(user), low = sql.bind(from), high = sql.bind(to)
        let acknowledged = """
            FROM events e WHERE e.acknowledged_by = \(u) AND e.acknowledged_at >= \(low) AND e.acknowledged_at < \(high)
            """
        let text = """
            SELECT (SELECT count(*) FROM activity_logs a WHERE a.user_id = \(u) AND a.time >= \(low) AND a.time < \(high)),
                   (SELECT count(DISTINCT (a.time AT TIME ZONE 'UTC')::date) FROM activity_logs a
                    WHERE a.user_id = \(u) AND a.time >= \(low) AND a.time < \(high)),
                   (SELECT count(*) \(acknowledged)),
                   (SELECT avg(extract(epoch FROM e.acknowledged_at - e.time))::float8 \(acknowledged)),
                   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.acknowledged_at - e.time))::float8 \(acknowledged)),
                   (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM e.acknowledged_at - e.time))::float8 \(acknowledged))
            """
        let r = Row(try await database.query(text, binding: sql.binds, doing: "measuring a staff member's performance").first ?? [])
        let elapsed = min(Date(), to).timeIntervalSince(from)
        let days = max(1, Int((elapsed / 86_400).rounded(.up)))
        let actions = try r.int(0), active = try r.int(1)
        return Performance(userId: user, username: username, period: period, from: from, to: to, days: days, activeDays: active,
                           actions: actions, actionsPerDay: Double(actions) / Double(days),
                           actionsPerActiveDay: active > 0 ? Double(actions) / Double(active) : 0, alertsAcknowledged: try r.int(2),
                           meanResponseSeconds: r.optionalDouble(3), medianResponseSeconds: r.optionalDouble(4), p90ResponseSeconds: r.optionalDouble(5))
    }
}
