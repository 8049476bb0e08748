public import Foundation
public import VigilCore
import Logging
import PostgresNIO

/// Parameterised statements for services (the HTTP server's repositories): values are sent as bind
/// parameters (`$1`, `$2`, ...), never spliced into the SQL text. Text-like and uuid columns come back as
/// `.text`; other types should be cast in the query (`::text`, `to_json(...)::text`).
extension Database {
    /// Runs one statement and returns its rows. (`binding:` has no default on purpose: without it, a
    /// string literal with interpolations would resolve here instead of to postgres-nio's `PostgresQuery`,
    /// whose interpolations are binds, and splice the values into the text.)
    public func query(_ sql: String, binding binds: [SQLValue], doing: String) async throws -> [[SQLValue]] {
        try await withConnection(doing: doing) { connection in
            try await SQLSession(connection: connection, logger: self.logger).query(sql, binds)
        }
    }

    /// Runs one statement, discarding its rows.
    public func execute(_ sql: String, binding binds: [SQLValue], doing: String) async throws {
        _ = try await query(sql, binding: binds, doing: doing)
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    public func transaction<R: Sendable>(doing: String, _ body: @escaping @Sendable (SQLSession) async throws -> R) async throws -> R {
        try await withTransaction(doing: doing) { connection in
            try await body(SQLSession(connection: connection, logger: self.logger))
        }
    }
}

/// One connection inside ``Database/transaction(doing:_:)``.
public struct SQLSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public func query(_ sql: String, _ binds: [SQLValue] = []) async throws -> [[SQLValue]] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds { value.bind(into: &bindings) }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var out: [[SQLValue]] = []
        for try await row in rows { out.append(try row.map(SQLValue.init(cell:))) }
        return out
    }

    public func execute(_ sql: String, _ binds: [SQLValue] = []) async throws {
        _ = try await query(sql, binds)
    }
}

extension SQLValue {
    func bind(into bindings: inout PostgresBindings) {
        switch self {
        case .null: bindings.appendNull()
        case .bool(let v): bindings.append(v)
        case .int(let v): bindings.append(v)
        case .double(let v): bindings.append(v)
        case .text(let v): bindings.append(v)
        case .time(let v): bindings.append(v)
        case .bytes(let v): bindings.append(ByteBuffer(bytes: v))
        }
    }
}

extension StoreError {
    /// Unique violation (SQLSTATE 23505) of a wrapped or raw error: a conflict the caller can report.
    public static func isUniqueViolation(_ error: any Error) -> Bool { state(of: error) == "23505" }

    /// Foreign-key violation (SQLSTATE 23503).
    public static func isForeignKeyViolation(_ error: any Error) -> Bool { state(of: error) == "23503" }

    public static func state(of error: any Error) -> String? {
        if let vigil = error as? VigilError, let cause = vigil.cause { return (cause as? PlainCause)?.state ?? sqlState(cause) }
        return sqlState(error)
    }
}

extension SQLValue {
    /// A `text[]` parameter (send it as `$n::text[]`).
    public static func array(_ values: [String]) -> SQLValue { .text(SQLText.array(values)) }
    /// A `text[]` parameter with NULL elements.
    public static func array(_ values: [String?]) -> SQLValue { .text(SQLText.array(values)) }
    /// An `int8[]` parameter (send it as `$n::int8[]`).
    public static func array(_ values: [Int]) -> SQLValue { .text(SQLText.array(values)) }
}
