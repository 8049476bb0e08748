import Foundation
import VigilStore

/// One audit-log row.
struct ActivityEntry: Codable, Sendable {
    var id: Int
    var time: Date
    var tenantId: Int?
    var userId: UUID?
    var username: String?
    var address: String?
    var action: String
    var target: String?
    var outcome: Outcome
    var requestId: String?
    var source: String
    var details: JSONValue

    enum Outcome: String, Codable, Sendable { case success, failure, denied }
}

struct ActivityFilter: Sendable {
    var userID: UUID?
    var action: String?
    var outcome: ActivityEntry.Outcome?
    var from: Date?
    var to: Date?
    /// Keyset pagination: rows strictly older than this (time, id).
    var before: (time: Date, id: Int)?
    var limit = 50
}

/// The `activity_logs` table, range-partitioned by day. Reads: admins all, supervisors their tenant, others their own.
struct ActivityRepository: Sendable {
    let database: Database
    static let columns = "a.id, a.time, a.tenant_id, a.user_id::text, a.username, a.address, a.action, a.target, a.outcome, a.request_id, a.source, a.details::text"

    static func entry(_ r: Row) throws -> ActivityEntry {
        ActivityEntry(id: try r.int(0), time: try r.time(1), tenantId: r.optionalInt(2), userId: r.optionalUUID(3), username: r.optionalText(4),
                      address: r.optionalText(5), action: try r.text(6), target: r.optionalText(7),
                      outcome: ActivityEntry.Outcome(rawValue: try r.text(8)) ?? .failure, requestId: r.optionalText(9),
                      source: try r.text(10), details: r.json(11))
    }

    struct NewEntry: Sendable {
        var time = Date()
        var tenantID: Int?
        var userID: UUID?
        var username: String?
        var address: String?
        var action: String
        var target: String?
        var outcome: ActivityEntry.Outcome
        var requestID: String?
        var source = "server"
        var details: JSONValue = .object([:])
    }

    func insert(_ entry: NewEntry) async throws -> ActivityEntry {
        // PostgreSQL text cannot hold NUL; what a client sent is kept, visibly replaced.
        var e = entry
        let clean = { (text: String?) in text?.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") }
        e.username = clean(e.username)
        e.target = clean(e.target)
        e.address = clean(e.address)
        var sql = SQLBuilder()
        let text = """
            INSERT INTO activity_logs AS a (time, tenant_id, user_id, username, address, action, target, outcome, request_id, source, details)
            VALUES (\(sql.bind(e.time)), \(sql.bind(e.tenantID.map(SQLValue.int) ?? .null)), \(e.userID.map { sql.bind($0) } ?? "NULL"),
                    \(sql.bind(e.username.map(SQLValue.text) ?? .null)), \(sql.bind(e.address.map(SQLValue.text) ?? .null)), \(sql.bind(e.action)),
                    \(sql.bind(e.target.map(SQLValue.text) ?? .null)), \(sql.bind(e.outcome.rawValue)), \(sql.bind(e.requestID.map(SQLValue.text) ?? .null)),
                    \(sql.bind(e.source)), \(sql.bind(e.details.text))::jsonb)
            RETURNING \(Self.columns)
            """
        return try Self.entry(Row(try await database.query(text, binding: sql.binds, doing: "writing the activity log")[0]))
    }

    /// Audit rows only administrators read: a request for another tenant's resource is recorded, but showing
    /// it to the requester (or their tenant) would tell them that the id exists elsewhere.
    static let administratorsOnly = ["access.cross_tenant"]

    private static func visibility(_ scope: Scope) -> [String] {
        scope.role == .admin ? [] : ["a.action NOT IN (\(administratorsOnly.map { "'\($0)'" }.joined(separator: ", ")))"]
    }

    func list(_ filter: ActivityFilter, scope: Scope) async throws -> [ActivityEntry] {
        var sql = SQLBuilder()
        var conditions = [scope.tenantRows("a", userColumn: "user_id", &sql)] + Self.visibility(scope)
        conditions += Self.conditions(filter, &sql)
        if let before = filter.before {
            conditions.append("(a.time, a.id) < (\(sql.bind(before.time)), \(sql.bind(before.id)))")
        }
        let text = "SELECT \(Self.columns) FROM activity_logs a WHERE \(conditions.joined(separator: " AND ")) "
            + "ORDER BY a.time DESC, a.id DESC LIMIT \(sql.bind(filter.limit))"
        return try await database.query(text, binding: sql.binds, doing: "reading the activity log").map { try Self.entry(Row($0)) }
    }

    struct SummaryRow: Codable, Sendable {
        var action: String
        var hour: Date
        var outcome: String
        var count: Int
    }

    /// Counts by action, UTC hour and outcome.
    func summary(_ filter: ActivityFilter, scope: Scope) async throws -> [SummaryRow] {
        var sql = SQLBuilder()
        var conditions = [scope.tenantRows("a", userColumn: "user_id", &sql)] + Self.visibility(scope)
        conditions += Self.conditions(filter, &sql)
        let text = """
            SELECT a.action, date_trunc('hour', a.time), a.outcome, count(*) FROM activity_logs a WHERE \(conditions.joined(separator: " AND "))
            GROUP BY 1, 2, 3 ORDER BY 2, 1, 3 LIMIT 10000
            """
        return try await database.query(text, binding: sql.binds, doing: "summarising the activity log").map {
            let r = Row($0)
            return SummaryRow(action: try r.text(0), hour: try r.time(1), outcome: try r.text(2), count: try r.int(3))
        }
    }

    private static func conditions(_ filter: ActivityFilter, _ sql: inout SQLBuilder) -> [String] {
        var out: [String] = []
        if let user = filter.userID { out.append("a.user_id = \(sql.bind(user))") }
        if let action = filter.action { out.append("a.action = \(sql.bind(action))") }
        if let outcome = filter.outcome { out.append("a.outcome = \(sql.bind(outcome.rawValue))") }
        if let from = filter.from { out.append("a.time >= \(sql.bind(from))") }
        if let to = filter.to { out.append("a.time < \(sql.bind(to))") }
        return out
    }

    // MARK: What the security rules count (the server's own reads, not a caller's)

    func recentFailures(userID: UUID?, address: String?, within seconds: Int) async throws -> Int {
        var sql = SQLBuilder()
        var key: [String] = []
        if let userID { key.append("user_id = \(sql.bind(userID))") }
        if let address { key.append("address = \(sql.bind(address))") }
        guard !key.isEmpty else { return 0 }
        return try await database.query("""
            SELECT count(*) FROM activity_logs WHERE action = 'auth.login' AND outcome = 'failure'
            AND time > now() - interval '\(seconds) seconds' AND \(key.joined(separator: " AND "))
            """, binding: sql.binds, doing: "counting failed log-ins").first?.first?.int ?? 0
    }

    func recentDenials(userID: UUID, within seconds: Int) async throws -> Int {
        var sql = SQLBuilder()
        return try await database.query("""
            SELECT count(*) FROM activity_logs WHERE action = 'access.cross_tenant' AND outcome = 'denied'
            AND time > now() - interval '\(seconds) seconds' AND user_id = \(sql.bind(userID))
            """, binding: sql.binds, doing: "counting denied requests").first?.first?.int ?? 0
    }

    /// Successful log-ins of a user in the last `days` days before `now`, excluding `excludingID`, and how many fell in `hour` (UTC).
    func loginHours(userID: UUID, days: Int, hour: Int, excludingID: Int) async throws -> (total: Int, inHour: Int) {
        var sql = SQLBuilder()
        let rows = try await database.query("""
            SELECT count(*), count(*) FILTER (WHERE extract(hour FROM time AT TIME ZONE 'UTC') = \(sql.bind(hour)))
            FROM activity_logs WHERE action = 'auth.login' AND outcome = 'success' AND user_id = \(sql.bind(userID))
            AND time > now() - interval '\(days) days' AND id <> \(sql.bind(excludingID))
            """, binding: sql.binds, doing: "reading log-in hours")
        let r = Row(rows[0])
        return (try r.int(0), try r.int(1))
    }
}
