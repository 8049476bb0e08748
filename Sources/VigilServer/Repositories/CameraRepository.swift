import Foundation
import VigilStore

struct Camera: Codable, Sendable, Equatable {
    var id: Int
    var tenantId: Int
    var name: String
    var url: String?
    var environmentId: Int?
    var homography: [Double]?
    /// Zones and lines as an `alert` stage declares them (name -> settings), checked by its reader.
    var zones: JSONValue
    var lines: JSONValue
    /// The `reidentify` topology: cameras a person leaving this one may appear on, and after how long.
    var links: [CameraLink]
    var createdAt: Date
}

struct CameraLink: Codable, Sendable, Equatable {
    var toCameraId: Int
    var minTransitSeconds: Double
    var maxTransitSeconds: Double
}

/// What a camera write sets; nil leaves a field as it is (`.some(nil)` clears an optional one).
struct CameraChanges: Sendable {
    var name: String?
    var url: String??
    var homography: [Double]??
    var environmentID: Int??
    var zones: JSONValue?
    var lines: JSONValue?
    var links: [CameraLink]?
}

/// The `cameras` table and `camera_assignments`. Every read joins the caller's scope: admins all cameras,
/// supervisors their tenant's, everyone else the cameras assigned to them.
struct CameraRepository: Sendable {
    let database: Database
    static let columns = "c.id, c.tenant_id, c.name, c.url, c.environment_id, array_to_json(c.homography)::text, c.created_at, c.zones::text, "
        + "c.lines::text, coalesce((SELECT json_agg(json_build_object('to_camera_id', l.to_camera_id, 'min_transit_seconds', l.min_transit_seconds, "
        + "'max_transit_seconds', l.max_transit_seconds) ORDER BY l.to_camera_id) FROM camera_links l WHERE l.camera_id = c.id), '[]')::text"

    static func camera(_ r: Row) throws -> Camera {
        var homography: [Double]?
        if let text = r.optionalText(5) { homography = try? JSONDecoder().decode([Double].self, from: Data(text.utf8)) }
        let links = (try? APIJSON.decoder.decode([CameraLink].self, from: Data((r.optionalText(9) ?? "[]").utf8))) ?? []
        return Camera(id: try r.int(0), tenantId: try r.int(1), name: try r.text(2), url: r.optionalText(3), environmentId: r.optionalInt(4),
                      homography: homography, zones: r.json(7), lines: r.json(8), links: links, createdAt: try r.time(6))
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

    private static func array(_ values: [Double]?, _ sql: inout SQLBuilder) -> String {
        values.map { "ARRAY[" + $0.map { "\(sql.bind(.double($0)))::float8" }.joined(separator: ",") + "]" } ?? "NULL"
    }

    /// Creates a camera with its geometry and links (already checked), in one transaction.
    func create(tenantID: Int, name: String, changes: CameraChanges, scope: Scope) async throws -> Camera {
        do {
            let id = try await database.transaction(doing: "creating a camera") { session in
                var sql = SQLBuilder()
                let text = """
                    INSERT INTO cameras (tenant_id, name, url, homography, environment_id, zones, lines) VALUES (\(sql.bind(tenantID)), \(sql.bind(name)),
                    \(sql.bind((changes.url ?? nil).map(SQLValue.text) ?? .null)), \(Self.array(changes.homography ?? nil, &sql)),
                    \(sql.bind((changes.environmentID ?? nil).map(SQLValue.int) ?? .null)), \(sql.bind((changes.zones ?? .object([:])).text))::jsonb,
                    \(sql.bind((changes.lines ?? .object([:])).text))::jsonb) RETURNING id
                    """
                let id = try Row(try await session.query(text, sql.binds)[0]).int(0)
                if let links = changes.links { try await Self.replaceLinks(of: id, links, session) }
                return id
            }
            guard let camera = try await get(id, scope: scope) else { throw APIError.notFound("camera") }
            return camera
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("the tenant already has a camera named \(name)")
        } catch where StoreError.isForeignKeyViolation(error) {
            throw APIError.unprocessable("no such tenant")
        }
    }

    /// Changes a camera the caller may write (the controller checked the role and the values).
    func update(_ id: Int, _ changes: CameraChanges, scope: Scope) async throws -> Camera? {
        do {
            let found = try await database.transaction(doing: "updating a camera") { session in
                var sql = SQLBuilder()
                var sets: [String] = []
                if let name = changes.name { sets.append("name = \(sql.bind(name))") }
                if let url = changes.url { sets.append("url = \(sql.bind(url.map(SQLValue.text) ?? .null))") }
                if let homography = changes.homography { sets.append("homography = " + Self.array(homography, &sql)) }
                if let environment = changes.environmentID { sets.append("environment_id = \(sql.bind(environment.map(SQLValue.int) ?? .null))") }
                if let zones = changes.zones { sets.append("zones = \(sql.bind(zones.text))::jsonb") }
                if let lines = changes.lines { sets.append("lines = \(sql.bind(lines.text))::jsonb") }
                if sets.isEmpty { sets = ["name = c.name"] }
                let text = "UPDATE cameras c SET \(sets.joined(separator: ", ")) WHERE c.id = \(sql.bind(id)) AND \(scope.cameras("c", &sql)) RETURNING c.id"
                guard try await session.query(text, sql.binds).first != nil else { return false }
                if let links = changes.links { try await Self.replaceLinks(of: id, links, session) }
                return true
            }
            return found ? try await get(id, scope: scope) : nil
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("the tenant already has a camera with this name")
        }
    }

    /// Whether every link target is a camera of `tenantID` that the caller sees (checked before the write's
    /// transaction: a camera never changes tenant, and the links' foreign keys catch a target deleted meanwhile).
    func linkTargetsExist(_ links: [CameraLink], tenantID: Int, scope: Scope) async throws -> Bool {
        let targets = Set(links.map(\.toCameraId))
        guard !targets.isEmpty else { return true }
        var sql = SQLBuilder()
        let text = """
            SELECT count(*) FROM cameras c WHERE c.id = ANY(\(sql.bind(.array(Array(targets))))::int8[]) AND c.tenant_id = \(sql.bind(tenantID))
            AND \(scope.cameras("c", &sql))
            """
        return try await database.query(text, binding: sql.binds, doing: "checking camera links").first?.first?.int == targets.count
    }

    private static func replaceLinks(of id: Int, _ links: [CameraLink], _ session: SQLSession) async throws {
        var delete = SQLBuilder()
        try await session.execute("DELETE FROM camera_links WHERE camera_id = \(delete.bind(id))", delete.binds)
        guard !links.isEmpty else { return }
        var insert = SQLBuilder()
        let from = insert.bind(id)
        let values = links.map { "(\(from), \(insert.bind($0.toCameraId)), \(insert.bind(.double($0.minTransitSeconds))), \(insert.bind(.double($0.maxTransitSeconds))))" }
        try await session.execute("INSERT INTO camera_links (camera_id, to_camera_id, min_transit_seconds, max_transit_seconds) VALUES "
                                  + values.joined(separator: ","), insert.binds)
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
