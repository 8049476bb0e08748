import Foundation
import VigilStore

/// A user as the API shows it (never the password hash).
struct User: Codable, Sendable, Equatable {
    var id: UUID
    var tenantId: Int
    var username: String
    var email: String
    var firstName: String
    var lastName: String
    var role: Role
    var status: AccountStatus
    var createdAt: Date
    var updatedAt: Date
    /// The department of the user's tenant they belong to (`/admin/departments`), if any.
    var departmentId: Int?
}

/// Filters of the user list; all optional.
struct UserFilter: Sendable {
    var tenantID: Int?
    var role: Role?
    var status: AccountStatus?
    /// Substring of username, e-mail or names (case-insensitive; LIKE metacharacters are escaped).
    var search: String?
    var limit = 50
    var offset = 0
}

/// The `users` table. Reads take a ``Scope`` into their SQL; the unscoped lookups are for logging in
/// (the caller is not known yet) and say so in their names.
struct UserRepository: Sendable {
    let database: Database
    static let columns = "u.id::text, u.tenant_id, u.username, u.email, u.first_name, u.last_name, u.role, u.status, u.created_at, u.updated_at, u.department_id"
    /// Columns after ``columns`` in a row start here.
    static let columnCount = 11

    static func user(_ r: Row) throws -> User {
        guard let role = Role(rawValue: try r.text(6)), let status = AccountStatus(rawValue: try r.text(7)) else {
            throw Row.Mismatch(column: 6, expected: "role and status", got: r.values[6])
        }
        return User(id: try r.uuid(0), tenantId: try r.int(1), username: try r.text(2), email: try r.text(3), firstName: try r.text(4),
                    lastName: try r.text(5), role: role, status: status, createdAt: try r.time(8), updatedAt: try r.time(9),
                    departmentId: r.optionalInt(10))
    }

    func create(tenantID: Int, username: String, email: String, passwordHash: String, firstName: String, lastName: String,
                role: Role, status: AccountStatus) async throws -> User {
        var sql = SQLBuilder()
        let text = """
            INSERT INTO users AS u (id, tenant_id, username, email, password_hash, first_name, last_name, role, status)
            VALUES (\(sql.bind(UUID())), \(sql.bind(tenantID)), \(sql.bind(username)), \(sql.bind(email)), \(sql.bind(passwordHash)),
                    \(sql.bind(firstName)), \(sql.bind(lastName)), \(sql.bind(role.rawValue)), \(sql.bind(status.rawValue)))
            RETURNING \(Self.columns)
            """
        do {
            let rows = try await database.query(text, binding: sql.binds, doing: "creating a user")
            return try Self.user(Row(rows[0]))
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("a user with this username or e-mail already exists")
        } catch where StoreError.isForeignKeyViolation(error) {
            throw APIError.unprocessable("no such tenant")
        }
    }

    /// For logging in: the account named by username or e-mail (any case), with its password hash.
    func unscopedForLogin(_ name: String) async throws -> (User, passwordHash: String)? {
        var sql = SQLBuilder()
        let key = sql.bind(name)
        let rows = try await database.query("""
            SELECT \(Self.columns), u.password_hash FROM users u WHERE lower(u.username) = lower(\(key)) OR lower(u.email) = lower(\(key))
            ORDER BY lower(u.username) = lower(\(key)) DESC LIMIT 1
            """, binding: sql.binds, doing: "looking up an account")
        guard let row = rows.first else { return nil }
        return (try Self.user(Row(row)), try Row(row).text(Self.columnCount))
    }

    /// For the authenticator: the token's user if it exists (the caller is this user).
    func unscopedByID(_ id: UUID) async throws -> User? {
        var sql = SQLBuilder()
        let rows = try await database.query("SELECT \(Self.columns) FROM users u WHERE u.id = \(sql.bind(id))", binding: sql.binds,
                                            doing: "reading a user")
        return try rows.first.map { try Self.user(Row($0)) }
    }

    func get(_ id: UUID, scope: Scope) async throws -> User? {
        var sql = SQLBuilder()
        let text = "SELECT \(Self.columns) FROM users u WHERE u.id = \(sql.bind(id)) AND \(scope.users("u", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading a user").first.map { try Self.user(Row($0)) }
    }

    func passwordHash(_ id: UUID, scope: Scope) async throws -> String? {
        var sql = SQLBuilder()
        let text = "SELECT u.password_hash FROM users u WHERE u.id = \(sql.bind(id)) AND \(scope.users("u", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading a user").first?.first?.text
    }

    func list(_ filter: UserFilter, scope: Scope) async throws -> (users: [User], total: Int) {
        var sql = SQLBuilder()
        var conditions = [scope.users("u", &sql)]
        if let tenant = filter.tenantID { conditions.append("u.tenant_id = \(sql.bind(tenant))") }
        if let role = filter.role { conditions.append("u.role = \(sql.bind(role.rawValue))") }
        if let status = filter.status { conditions.append("u.status = \(sql.bind(status.rawValue))") }
        if let search = filter.search, !search.isEmpty {
            let pattern = sql.bind("%" + Self.escapeLike(search) + "%")
            conditions.append("(u.username ILIKE \(pattern) OR u.email ILIKE \(pattern) OR u.first_name ILIKE \(pattern) OR u.last_name ILIKE \(pattern))")
        }
        let text = """
            SELECT \(Self.columns), count(*) OVER () FROM users u WHERE \(conditions.joined(separator: " AND "))
            ORDER BY u.created_at, u.id LIMIT \(sql.bind(filter.limit)) OFFSET \(sql.bind(filter.offset))
            """
        let rows = try await database.query(text, binding: sql.binds, doing: "listing users")
        var total = rows.first.flatMap { $0[Self.columnCount].int } ?? 0
        if rows.isEmpty, filter.offset > 0 {
            // Past the end: count separately so the client still learns the total.
            var count = SQLBuilder()
            var c = [scope.users("u", &count)]
            if let tenant = filter.tenantID { c.append("u.tenant_id = \(count.bind(tenant))") }
            total = try await database.query("SELECT count(*) FROM users u WHERE \(c.joined(separator: " AND "))", binding: count.binds,
                                             doing: "counting users").first?.first?.int ?? 0
        }
        return (try rows.map { try Self.user(Row($0)) }, total)
    }

    struct Changes: Sendable {
        var firstName: String?
        var lastName: String?
        var email: String?
        var role: Role?
        var status: AccountStatus?
        var passwordHash: String?
        var isEmpty: Bool { firstName == nil && lastName == nil && email == nil && role == nil && status == nil && passwordHash == nil }
    }

    func update(_ id: UUID, _ changes: Changes, scope: Scope) async throws -> User? {
        var sql = SQLBuilder()
        var sets = ["updated_at = now()"]
        if let v = changes.firstName { sets.append("first_name = \(sql.bind(v))") }
        if let v = changes.lastName { sets.append("last_name = \(sql.bind(v))") }
        if let v = changes.email { sets.append("email = \(sql.bind(v))") }
        if let v = changes.role { sets.append("role = \(sql.bind(v.rawValue))") }
        if let v = changes.status { sets.append("status = \(sql.bind(v.rawValue))") }
        if let v = changes.passwordHash { sets.append("password_hash = \(sql.bind(v))") }
        let text = "UPDATE users u SET \(sets.joined(separator: ", ")) WHERE u.id = \(sql.bind(id)) AND \(scope.users("u", &sql)) RETURNING \(Self.columns)"
        do {
            return try await database.query(text, binding: sql.binds, doing: "updating a user").first.map { try Self.user(Row($0)) }
        } catch where StoreError.isUniqueViolation(error) {
            throw APIError.conflict("a user with this e-mail already exists")
        }
    }

    func delete(_ id: UUID, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = "DELETE FROM users u WHERE u.id = \(sql.bind(id)) AND \(scope.users("u", &sql)) RETURNING u.id::text"
        return try await !database.query(text, binding: sql.binds, doing: "deleting a user").isEmpty
    }

    func count() async throws -> Int {
        try await database.query("SELECT count(*) FROM users", binding: [], doing: "counting users").first?.first?.int ?? 0
    }

    /// `%`, `_` and `\` match themselves.
    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

extension UserRepository {
    /// For the audit log only: the tenant of a user the caller could not see (never returned to the caller).
    func unscopedTenant(of id: UUID) async throws -> Int? {
        var sql = SQLBuilder()
        return try await database.query("SELECT tenant_id FROM users WHERE id = \(sql.bind(id))", binding: sql.binds,
                                        doing: "auditing a user lookup").first?.first?.int
    }
}
