import Foundation
import VigilStore

struct Department: Codable, Sendable {
    var id: Int
    var tenantId: Int
    var name: String
    var description: String
    var members: Int
    var createdAt: Date
}

/// Departments of a tenant and their members (`users.department_id`), with the caller's tenant scope in
/// every statement.
struct DepartmentRepository: Sendable {
    let database: Database

    static let columns = "d.id, d.tenant_id, d.name, d.description, (SELECT count(*) FROM users m WHERE m.department_id = d.id), d.created_at"

    static func department(_ r: Row) throws -> Department {
        Department(id: try r.int(0), tenantId: try r.int(1), name: try r.text(2), description: try r.text(3), members: try r.int(4),
                   createdAt: try r.time(5))
    }

    func list(scope: Scope, tenant: Int?) async throws -> [Department] {
        var sql = SQLBuilder()
        let text = "SELECT \(Self.columns) FROM departments d WHERE \(scope.tenant("d", &sql, narrowedTo: tenant)) ORDER BY d.tenant_id, lower(d.name)"
        return try await database.query(text, binding: sql.binds, doing: "listing departments").map { try Self.department(Row($0)) }
    }

    func get(_ id: Int, scope: Scope) async throws -> Department? {
        var sql = SQLBuilder()
        let text = "SELECT \(Self.columns) FROM departments d WHERE d.id = \(sql.bind(id)) AND \(scope.tenant("d", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading a department").first.map { try Self.department(Row($0)) }
    }

    func create(tenant: Int, name: String, description: String) async throws -> Department {
        do {
            let rows = try await database.query("""
                INSERT INTO departments AS d (tenant_id, name, description) VALUES ($1::int4, $2, $3) RETURNING \(Self.columns)
                """, binding: [.int(tenant), .text(name), .text(description)], doing: "creating a department")
            return try Self.department(Row(rows[0]))
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("the tenant already has a department named \(name)")
        } catch where StoreError.state(of: error) == "23503" {
            throw APIError.unprocessable("tenant_id: no such tenant")
        }
    }

    func delete(_ id: Int, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = "DELETE FROM departments d WHERE d.id = \(sql.bind(id)) AND \(scope.tenant("d", &sql)) RETURNING d.id"
        return try await !database.query(text, binding: sql.binds, doing: "deleting a department").isEmpty
    }

    /// Puts `user` (of the department's tenant) in department `id`; false when either is not in the scope.
    func add(user: UUID, to id: Int, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = """
            UPDATE users u SET department_id = d.id, updated_at = now() FROM departments d
            WHERE d.id = \(sql.bind(id)) AND u.id = \(sql.bind(user)) AND u.tenant_id = d.tenant_id AND \(scope.tenant("d", &sql))
            RETURNING u.id
            """
        return try await !database.query(text, binding: sql.binds, doing: "adding a department member").isEmpty
    }

    func remove(user: UUID, from id: Int, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = """
            UPDATE users u SET department_id = NULL, updated_at = now()
            WHERE u.id = \(sql.bind(user)) AND u.department_id = \(sql.bind(id)) AND \(scope.tenant("u", &sql)) RETURNING u.id
            """
        return try await !database.query(text, binding: sql.binds, doing: "removing a department member").isEmpty
    }

    struct Statistics: Codable, Sendable {
        var departmentId: Int
        var period: String
        var from: Date
        var to: Date
        var members: Int
        var byRole: [String: Int]
        var byStatus: [String: Int]
        /// Audit-log rows of the members in the period.
        var actions: Int
        var failedActions: Int
        var deniedActions: Int
        /// Members with at least one action in the period.
        var activeMembers: Int
        var topActions: [StaffRepository.ActionCount]
        /// Alerts the members acknowledged in the period, and how long after their start.
        var alertsAcknowledged: Int
        var meanResponseSeconds: Double?
    }

    func statistics(_ id: Int, from: Date, to: Date, period: String, scope: Scope) async throws -> Statistics? {
        var sql = SQLBuilder()
        let department = sql.bind(id), low = sql.bind(from), high = sql.bind(to)
        let members = "FROM users u WHERE u.department_id = d.id"
        let actions = "FROM activity_logs a JOIN users u ON u.id = a.user_id WHERE u.department_id = d.id AND a.time >= \(low) AND a.time < \(high)"
        let acknowledged = """
            FROM events e JOIN users u ON u.id = e.acknowledged_by
            WHERE u.department_id = d.id AND e.acknowledged_at >= \(low) AND e.acknowledged_at < \(high)
            """
        let text = """
            SELECT (SELECT count(*) \(members)),
                   (SELECT coalesce(jsonb_object_agg(role, n), '{}')::text FROM (SELECT u.role, count(*) AS n \(members) GROUP BY 1) x),
                   (SELECT coalesce(jsonb_object_agg(status, n), '{}')::text FROM (SELECT u.status, count(*) AS n \(members) GROUP BY 1) x),
                   (SELECT count(*) \(actions)), (SELECT count(*) \(actions) AND a.outcome = 'failure'),
                   (SELECT count(*) \(actions) AND a.outcome = 'denied'), (SELECT count(DISTINCT a.user_id) \(actions)),
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('action', action, 'count', n) ORDER BY n DESC, action), '[]')::text
                    FROM (SELECT a.action, count(*) AS n \(actions) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10) x),
                   (SELECT count(*) \(acknowledged)),
                   (SELECT avg(extract(epoch FROM e.acknowledged_at - e.time))::float8 \(acknowledged))
            FROM departments d WHERE d.id = \(department) AND \(scope.tenant("d", &sql))
            """
        guard let values = try await database.query(text, binding: sql.binds, doing: "reading a department's statistics").first else { return nil }
        let r = Row(values)
        return Statistics(departmentId: id, period: period, from: from, to: to, members: try r.int(0),
                          byRole: DashboardRepository.counts(r.json(1)), byStatus: DashboardRepository.counts(r.json(2)),
                          actions: try r.int(3), failedActions: try r.int(4), deniedActions: try r.int(5), activeMembers: try r.int(6),
                          topActions: StaffRepository.actionCounts(r.json(7)), alertsAcknowledged: try r.int(8),
                          meanResponseSeconds: r.optionalDouble(9))
    }
}
