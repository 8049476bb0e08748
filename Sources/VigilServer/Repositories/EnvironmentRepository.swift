import Foundation
import VigilStore

struct Environment: Codable, Sendable, Equatable {
    var id: Int
    var tenantId: Int
    var name: String
    /// The environment's cameras that the caller may see.
    var cameraIds: [Int]
    var createdAt: Date
}

/// The `environments` table (a campus, a factory: a tenant's group of cameras) and the days with stored
/// data of their cameras. Every read takes the caller's scope (``Scope/environments(_:_:)``).
struct EnvironmentRepository: Sendable {
    let database: Database

    private static func columns(_ scope: Scope, _ sql: inout SQLBuilder) -> String {
        "e.id, e.tenant_id, e.name, array_to_json(ARRAY(SELECT c.id FROM cameras c WHERE c.environment_id = e.id AND "
            + "\(scope.cameras("c", &sql)) ORDER BY c.id))::text, e.created_at"
    }

    private static func environment(_ r: Row) throws -> Environment {
        let ids = (try? JSONDecoder().decode([Int].self, from: Data(try r.text(3).utf8))) ?? []
        return Environment(id: try r.int(0), tenantId: try r.int(1), name: try r.text(2), cameraIds: ids, createdAt: try r.time(4))
    }

    func list(scope: Scope, tenantID: Int?, limit: Int, offset: Int) async throws -> [Environment] {
        var sql = SQLBuilder()
        let columns = Self.columns(scope, &sql)
        var conditions = [scope.environments("e", &sql)]
        if let tenantID { conditions.append("e.tenant_id = \(sql.bind(tenantID))") }
        let text = "SELECT \(columns) FROM environments e WHERE \(conditions.joined(separator: " AND ")) ORDER BY e.id "
            + "LIMIT \(sql.bind(limit)) OFFSET \(sql.bind(offset))"
        return try await database.query(text, binding: sql.binds, doing: "listing environments").map { try Self.environment(Row($0)) }
    }

    func get(_ id: Int, scope: Scope) async throws -> Environment? {
        var sql = SQLBuilder()
        let columns = Self.columns(scope, &sql)
        let text = "SELECT \(columns) FROM environments e WHERE e.id = \(sql.bind(id)) AND \(scope.environments("e", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading an environment").first.map { try Self.environment(Row($0)) }
    }

    /// For the audit log only: the tenant owning an environment the caller could not see.
    func unscopedOwner(_ id: Int) async throws -> Int? {
        var sql = SQLBuilder()
        return try await database.query("SELECT tenant_id FROM environments WHERE id = \(sql.bind(id))", binding: sql.binds,
                                        doing: "auditing an environment lookup").first?.first?.int
    }

    func create(tenantID: Int, name: String) async throws -> Environment {
        var sql = SQLBuilder()
        let text = "INSERT INTO environments (tenant_id, name) VALUES (\(sql.bind(tenantID)), \(sql.bind(name))) RETURNING id, created_at"
        do {
            let row = Row(try await database.query(text, binding: sql.binds, doing: "creating an environment")[0])
            return Environment(id: try row.int(0), tenantId: tenantID, name: name, cameraIds: [], createdAt: try row.time(1))
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("the tenant already has an environment named \(name)")
        } catch where StoreError.isForeignKeyViolation(error) {
            throw APIError.unprocessable("tenant_id: no such tenant")
        }
    }

    func rename(_ id: Int, to name: String, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = "UPDATE environments e SET name = \(sql.bind(name)) WHERE e.id = \(sql.bind(id)) AND \(scope.environments("e", &sql)) RETURNING e.id"
        do {
            return try await !database.query(text, binding: sql.binds, doing: "renaming an environment").isEmpty
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("the tenant already has an environment named \(name)")
        }
    }

    func delete(_ id: Int, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = "DELETE FROM environments e WHERE e.id = \(sql.bind(id)) AND \(scope.environments("e", &sql)) RETURNING e.id"
        return try await !database.query(text, binding: sql.binds, doing: "deleting an environment").isEmpty
    }

    /// The UTC days on which the environment's cameras (those the caller sees) have track points, events or
    /// aggregate rows. Candidate days come from the runs' `data_from`/`data_until` (a small table); each day is
    /// then one index probe per table on (camera_id, time) in that day's partition — no scan of the data.
    func days(of id: Int, scope: Scope) async throws -> [String] {
        var sql = SQLBuilder()
        let cameras = "ARRAY(SELECT c.id FROM cameras c WHERE c.environment_id = \(sql.bind(id)) AND \(scope.cameras("c", &sql)))"
        func probe(_ table: String) -> String {
            "EXISTS (SELECT 1 FROM \(table) x WHERE x.camera_id = ANY(k.ids) AND x.time >= d.low AND x.time < d.low + interval '1 day')"
        }
        let text = """
            WITH k AS (SELECT \(cameras) AS ids),
            span AS (SELECT (min(r.data_from) AT TIME ZONE 'UTC')::date AS first_day,
                            (max(coalesce(r.data_until, r.data_from)) AT TIME ZONE 'UTC')::date AS last_day
                     FROM runs r WHERE r.data_from IS NOT NULL),
            d AS (SELECT g::date AS day, (g::date)::timestamp AT TIME ZONE 'UTC' AS low
                  FROM span, generate_series(span.first_day, least(span.last_day, span.first_day + 3660), interval '1 day') g)
            SELECT d.day::text FROM d, k
            WHERE cardinality(k.ids) > 0 AND (\(probe("track_points")) OR \(probe("events")) OR \(probe("aggregates")))
            ORDER BY d.day
            """
        return try await database.query(text, binding: sql.binds, doing: "reading an environment's days").compactMap { $0.first?.text }
    }
}
