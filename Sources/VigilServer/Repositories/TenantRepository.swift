import Foundation
import VigilStore

struct Tenant: Codable, Sendable, Equatable {
    var id: Int
    var name: String
    var createdAt: Date
}

/// The `tenants` table: admins see all, everyone else their own.
struct TenantRepository: Sendable {
    let database: Database

    private static func tenant(_ r: Row) throws -> Tenant { Tenant(id: try r.int(0), name: try r.text(1), createdAt: try r.time(2)) }

    func list(scope: Scope, limit: Int, offset: Int) async throws -> [Tenant] {
        var sql = SQLBuilder()
        let text = "SELECT t.id, t.name, t.created_at FROM tenants t WHERE \(scope.tenants("t", &sql)) ORDER BY t.id "
            + "LIMIT \(sql.bind(limit)) OFFSET \(sql.bind(offset))"
        return try await database.query(text, binding: sql.binds, doing: "listing tenants").map { try Self.tenant(Row($0)) }
    }

    func get(_ id: Int, scope: Scope) async throws -> Tenant? {
        var sql = SQLBuilder()
        let text = "SELECT t.id, t.name, t.created_at FROM tenants t WHERE t.id = \(sql.bind(id)) AND \(scope.tenants("t", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading a tenant").first.map { try Self.tenant(Row($0)) }
    }

    func create(name: String) async throws -> Tenant {
        var sql = SQLBuilder()
        do {
            let rows = try await database.query("INSERT INTO tenants (name) VALUES (\(sql.bind(name))) RETURNING id, name, created_at",
                                                binding: sql.binds, doing: "creating a tenant")
            return try Self.tenant(Row(rows[0]))
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("a tenant named \(name) already exists")
        }
    }

    func rename(_ id: Int, to name: String, scope: Scope) async throws -> Tenant? {
        var sql = SQLBuilder()
        let text = "UPDATE tenants t SET name = \(sql.bind(name)) WHERE t.id = \(sql.bind(id)) AND \(scope.tenants("t", &sql)) "
            + "RETURNING t.id, t.name, t.created_at"
        do {
            return try await database.query(text, binding: sql.binds, doing: "renaming a tenant").first.map { try Self.tenant(Row($0)) }
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("a tenant named \(name) already exists")
        }
    }

    func delete(_ id: Int, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = "DELETE FROM tenants t WHERE t.id = \(sql.bind(id)) AND \(scope.tenants("t", &sql)) RETURNING t.id"
        return try await !database.query(text, binding: sql.binds, doing: "deleting a tenant").isEmpty
    }
}
