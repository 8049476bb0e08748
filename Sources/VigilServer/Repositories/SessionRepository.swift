import Foundation
import VigilStore

/// Log-in sessions and their refresh-token families. Tokens are stored as SHA-256 hashes; each refresh
/// rotates the token; presenting a rotated token again revokes the whole family.
struct SessionRepository: Sendable {
    let database: Database

    /// Starts a session for `userID` and returns its id and first refresh token.
    func start(userID: UUID, address: String, lifetime: TimeInterval) async throws -> (session: UUID, refreshToken: String) {
        let session = UUID()
        let token = OpaqueTokens.newRefreshToken()
        try await database.transaction(doing: "starting a session") { tx in
            var a = SQLBuilder()
            try await tx.execute("INSERT INTO sessions (id, user_id, address) VALUES (\(a.bind(session)), \(a.bind(userID)), \(a.bind(address)))", a.binds)
            var b = SQLBuilder()
            try await tx.execute("""
                INSERT INTO refresh_tokens (token_hash, family, user_id, expires_at)
                VALUES (\(b.bind(OpaqueTokens.hash(token))), \(b.bind(session)), \(b.bind(userID)), now() + \(b.bind(.double(lifetime))) * interval '1 second')
                """, b.binds)
        }
        return (session, token)
    }

    enum Rotation: Sendable {
        /// The token was current: here is its successor.
        case rotated(userID: UUID, session: UUID, refreshToken: String)
        /// Unknown, expired, or its session was revoked.
        case invalid
        /// The token had already been rotated: the family is now revoked.
        case reused(userID: UUID, session: UUID)
    }

    /// Exchanges a refresh token for the next one of its family, atomically (two concurrent uses of the
    /// same token: one rotates, the other is a reuse).
    func rotate(_ token: String, lifetime: TimeInterval) async throws -> Rotation {
        let next = OpaqueTokens.newRefreshToken()
        return try await database.transaction(doing: "rotating a refresh token") { tx in
            var a = SQLBuilder()
            let rows = try await tx.query("""
                SELECT r.family::text, r.user_id::text, r.rotated_at IS NOT NULL, r.expires_at < now(), s.revoked_at IS NOT NULL
                FROM refresh_tokens r JOIN sessions s ON s.id = r.family WHERE r.token_hash = \(a.bind(OpaqueTokens.hash(token))) FOR UPDATE OF r, s
                """, a.binds)
            guard let values = rows.first else { return .invalid }
            let row = Row(values)
            let session = try row.uuid(0), user = try row.uuid(1)
            if try row.bool(4) { return .invalid }
            if try row.bool(2) {
                var b = SQLBuilder()
                try await tx.execute("UPDATE sessions SET revoked_at = now(), revoked_reason = 'refresh token reuse' WHERE id = \(b.bind(session))", b.binds)
                return .reused(userID: user, session: session)
            }
            if try row.bool(3) { return .invalid }
            var c = SQLBuilder()
            try await tx.execute("UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = \(c.bind(OpaqueTokens.hash(token)))", c.binds)
            var d = SQLBuilder()
            try await tx.execute("""
                INSERT INTO refresh_tokens (token_hash, family, user_id, expires_at)
                VALUES (\(d.bind(OpaqueTokens.hash(next))), \(d.bind(session)), \(d.bind(user)), now() + \(d.bind(.double(lifetime))) * interval '1 second')
                """, d.binds)
            var e = SQLBuilder()
            try await tx.execute("UPDATE sessions SET last_used_at = now() WHERE id = \(e.bind(session))", e.binds)
            return .rotated(userID: user, session: session, refreshToken: next)
        }
    }

    /// Revokes one session (logout).
    func revoke(_ session: UUID, userID: UUID, reason: String) async throws {
        var sql = SQLBuilder()
        try await database.execute("""
            UPDATE sessions SET revoked_at = now(), revoked_reason = \(sql.bind(reason))
            WHERE id = \(sql.bind(session)) AND user_id = \(sql.bind(userID)) AND revoked_at IS NULL
            """, binding: sql.binds, doing: "revoking a session")
    }

    /// Revokes every session of a user (password change, deactivation); returns their ids.
    func revokeAll(userID: UUID, reason: String) async throws -> [UUID] {
        var sql = SQLBuilder()
        return try await database.query("""
            UPDATE sessions SET revoked_at = now(), revoked_reason = \(sql.bind(reason))
            WHERE user_id = \(sql.bind(userID)) AND revoked_at IS NULL RETURNING id::text
            """, binding: sql.binds, doing: "revoking sessions").compactMap { $0.first?.text.flatMap(UUID.init(uuidString:)) }
    }

    /// What the authenticator checks for every token: the user's state and whether the session still stands.
    struct Standing: Sendable {
        var username: String
        var role: Role
        var tenantID: Int
        var status: AccountStatus
        var sessionRevoked: Bool
    }

    func standing(userID: UUID, session: UUID) async throws -> Standing? {
        var sql = SQLBuilder()
        let rows = try await database.query("""
            SELECT u.username, u.role, u.tenant_id, u.status, s.revoked_at IS NOT NULL
            FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.id = \(sql.bind(userID)) AND s.id = \(sql.bind(session))
            """, binding: sql.binds, doing: "checking a session")
        guard let values = rows.first else { return nil }
        let r = Row(values)
        guard let role = Role(rawValue: try r.text(1)), let status = AccountStatus(rawValue: try r.text(3)) else { return nil }
        return Standing(username: try r.text(0), role: role, tenantID: try r.int(2), status: status, sessionRevoked: try r.bool(4))
    }
}
