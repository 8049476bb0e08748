import Foundation
import VigilStore

/// Six-digit codes that activate an account: stored hashed with the user id, valid for 5 minutes,
/// 5 attempts, re-sent at most once a minute.
struct OneTimeCodeRepository: Sendable {
    let database: Database
    static let lifetime: TimeInterval = 5 * 60
    static let maxAttempts = 5
    static let resendInterval: TimeInterval = 60

    private static func hash(_ code: String, _ userID: UUID) -> String { OpaqueTokens.hash("\(userID.uuidString):\(code)") }

    enum Issue: Sendable { case issued(code: String), tooSoon(retryAfter: Int) }

    /// A new code for `userID` (replacing any earlier one), unless one was sent less than a minute ago.
    func issue(userID: UUID, purpose: String) async throws -> Issue {
        let code = OpaqueTokens.newCode()
        var sql = SQLBuilder()
        let rows = try await database.query("""
            INSERT INTO one_time_codes AS o (user_id, purpose, code_hash, expires_at, attempts, sent_at)
            VALUES (\(sql.bind(userID)), \(sql.bind(purpose)), \(sql.bind(Self.hash(code, userID))),
                    now() + interval '\(Int(Self.lifetime)) seconds', 0, now())
            ON CONFLICT (user_id, purpose) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at,
                attempts = 0, sent_at = now()
            WHERE o.sent_at <= now() - interval '\(Int(Self.resendInterval)) seconds'
            RETURNING true
            """, binding: sql.binds, doing: "issuing a one-time code")
        if !rows.isEmpty { return .issued(code: code) }
        var wait = SQLBuilder()
        let seconds = try await database.query("""
            SELECT ceil(extract(epoch FROM sent_at + interval '\(Int(Self.resendInterval)) seconds' - now()))::int
            FROM one_time_codes WHERE user_id = \(wait.bind(userID)) AND purpose = \(wait.bind(purpose))
            """, binding: wait.binds, doing: "reading a one-time code").first?.first?.int ?? 1
        return .tooSoon(retryAfter: max(1, seconds))
    }

    enum Check: Sendable { case valid, wrong(remaining: Int), expired, exhausted, none }

    /// Checks a code, counting the attempt; a valid code is consumed.
    func check(_ code: String, userID: UUID, purpose: String) async throws -> Check {
        let hash = Self.hash(code, userID)
        return try await database.transaction(doing: "checking a one-time code") { tx in
            var sql = SQLBuilder()
            let rows = try await tx.query("""
                SELECT code_hash, attempts, expires_at < now() FROM one_time_codes
                WHERE user_id = \(sql.bind(userID)) AND purpose = \(sql.bind(purpose)) FOR UPDATE
                """, sql.binds)
            guard let values = rows.first else { return .none }
            let r = Row(values)
            let attempts = try r.int(1)
            if attempts >= Self.maxAttempts { return .exhausted }
            if try r.bool(2) { return .expired }
            var key = SQLBuilder()
            let where_ = "user_id = \(key.bind(userID)) AND purpose = \(key.bind(purpose))"
            if try r.text(0) == hash {
                try await tx.execute("DELETE FROM one_time_codes WHERE \(where_)", key.binds)
                return .valid
            }
            try await tx.execute("UPDATE one_time_codes SET attempts = attempts + 1 WHERE \(where_)", key.binds)
            let remaining = Self.maxAttempts - attempts - 1
            return remaining > 0 ? .wrong(remaining: remaining) : .exhausted
        }
    }
}
