import Foundation
import VigilStore

struct Camera: Codable, Sendable, Equatable {
    var id: Int
    var tenantId: Int
    var name: String
    var url: String?
    var environmentId: Int?
    var homography: [Double]?
    var createdAt: Date
}

/// The `cameras` table and `camera_assignments`. Every read joins the caller's scope: admins all cameras,
/// supervisors their tenant's, everyone else the cameras assigned to them.
struct CameraRepository: Sendable {
    let database: Database
    static let columns = "c.id, c.tenant_id, c.name, c.url, c.environment_id, array_to_json(c.homography)::text, c.created_at"

    static func camera(_ r: Row) throws -> Camera {
        var homography: [Double]?
        if let text = r.optionalText(5) { homography = try? JSONDecoder().decode([Double].self, from: Data(text.utf8)) }
        return Camera(id: try r.int(0), tenantId: try r.int(1), name: try r.text(2), url: r.optionalText(3), environmentId: r.optionalInt(4),
                      homography: homography, createdAt: try r.time(6))
    }

    func list(scope: Scope, tenantID: Int?, search: String?, limit: Int, offset: Int) async throws -> [Camera] {
        var sql = SQLBuilder()
        var conditions = [scope.cameras("c", &sql)]
        if let tenantID { conditions.append("c.tenant_id = \(sql.bind(tenantID))") }
        if let search, !search.isEmpty { conditions.append("c.name ILIKE \(sql.bind("%" + UserRepository.escapeLike(search) + "%"))") }
        let text = "SELECT \(Self.columns) FROM cameras c WHERE \(conditions.joined(separator: " AND ")) ORDER BY c.id "
            + "LIMIT \(sql.bind(limit)) OFFSET \(sql.bind(offset))"
        return try await database.query(text, binding: sql.binds, doing: "listing cameras").map { try Self.camera(Row($0)) }
    }

    func get(_ id: Int, scope: Scope) async throws -> Camera? {
        var sql = SQLBuilder()
        let text = "SELECT \(Self.columns) FROM cameras c WHERE c.id = \(sql.bind(id)) AND \(scope.cameras("c", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading a camera").first.map { try Self.camera(Row($0)) }
    }

    /// For the audit log only: the tenant owning a camera the caller could not see (never returned to the caller).
    func unscopedOwner(_ id: Int) async throws -> Int? {
        var sql = SQLBuilder()
        return try await database.query("SELECT tenant_id FROM cameras WHERE id = \(sql.bind(id))", binding: sql.binds,
                                        doing: "auditing a camera lookup").first?.first?.int
    }

    func create(tenantID: Int, name: String, url: String?, homography: [Double]?) async throws -> Camera {
        var sql = SQLBuilder()
        let h = homography.map { "ARRAY[" + $0.map { "\(sql.bind(.double($0)))::float8" }.joined(separator: ",") + "]" } ?? "NULL"
        let text = """
            INSERT INTO cameras AS c (tenant_id, name, url, homography) VALUES (\(sql.bind(tenantID)), \(sql.bind(name)),
            \(sql.bind(url.map(SQLValue.text) ?? .null)), \(h)) RETURNING \(Self.columns)
            """
        do {
            return try Self.camera(Row(try await database.query(text, binding: sql.binds, doing: "creating a camera")[0]))
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("the tenant already has a camera named \(name)")
        } catch where StoreError.isForeignKeyViolation(error) {
            throw APIError.unprocessable("no such tenant")
        }
    }

    /// Changes a camera the caller may write (`writeScope` is a supervisor's or admin's scope).
    func update(_ id: Int, name: String?, url: String??, homography: [Double]??, scope: Scope) async throws -> Camera? {
        var sql = SQLBuilder()
        var sets: [String] = []
        if let name { sets.append("name = \(sql.bind(name))") }
        if let url { sets.append("url = \(sql.bind(url.map(SQLValue.text) ?? .null))") }
        if let homography {
            sets.append("homography = " + (homography.map { "ARRAY[" + $0.map { "\(sql.bind(.double($0)))::float8" }.joined(separator: ",") + "]" } ?? "NULL"))
        }
        if sets.isEmpty { return try await get(id, scope: scope) }
        let text = "UPDATE cameras c SET \(sets.joined(separator: ", ")) WHERE c.id = \(sql.bind(id)) AND \(scope.cameras("c", &sql)) RETURNING \(Self.columns)"
        do {
            return try await database.query(text, binding: sql.binds, doing: "updating a camera").first.map { try Self.camera(Row($0)) }
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("the tenant already has a camera with this name")
        }
    }

    func delete(_ id: Int, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = "DELETE FROM cameras c WHERE c.id = \(sql.bind(id)) AND \(scope.cameras("c", &sql)) RETURNING c.id"
        return try await !database.query(text, binding: sql.binds, doing: "deleting a camera").isEmpty
    }

    /// Camera ids assigned to a user the caller may see.
    func assignments(of userID: UUID, scope: Scope) async throws -> [Int] {
        var sql = SQLBuilder()
        let text = """
            SELECT ca.camera_id FROM camera_assignments ca JOIN users u ON u.id = ca.user_id JOIN cameras c ON c.id = ca.camera_id
            WHERE ca.user_id = \(sql.bind(userID)) AND \(scope.users("u", &sql)) AND \(scope.cameras("c", &sql)) ORDER BY ca.camera_id
            """
        return try await database.query(text, binding: sql.binds, doing: "reading camera assignments").compactMap { $0.first?.int }
    }

    /// Replaces a user's assignments by `cameraIDs`, all of which must be cameras of the user's tenant that the
    /// caller may write; returns false when the user is outside the caller's scope.
    func assign(_ cameraIDs: [Int], to userID: UUID, scope: Scope) async throws -> AssignOutcome {
        let ids = Array(Set(cameraIDs)).sorted()
        return try await database.transaction(doing: "assigning cameras") { session in
            var sql = SQLBuilder()
            let userRows = try await session.query("SELECT u.tenant_id FROM users u WHERE u.id = \(sql.bind(userID)) AND \(scope.users("u", &sql)) FOR UPDATE",
                                                   sql.binds)
            guard let tenant = userRows.first?.first?.int else { return .noUser }
            var check = SQLBuilder()
            let list = ids.isEmpty ? "NULL" : ids.map { check.bind($0) }.joined(separator: ",")
            let found = try await session.query("""
                SELECT count(*) FROM cameras c WHERE c.id IN (\(list)) AND c.tenant_id = \(check.bind(tenant)) AND \(scope.cameras("c", &check))
                """, check.binds).first?.first?.int ?? 0
            guard found == ids.count else { return .unknownCameras }
            var delete = SQLBuilder()
            try await session.execute("DELETE FROM camera_assignments WHERE user_id = \(delete.bind(userID))", delete.binds)
            if !ids.isEmpty {
                var insert = SQLBuilder()
                let u = insert.bind(userID)
                let values = ids.map { "(\(u), \(insert.bind($0)))" }.joined(separator: ",")
                try await session.execute("INSERT INTO camera_assignments (user_id, camera_id) VALUES \(values)", insert.binds)
            }
            return .assigned(ids)
        }
    }

    enum AssignOutcome: Sendable { case assigned([Int]), noUser, unknownCameras }
}
