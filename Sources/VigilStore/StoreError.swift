public import VigilCore
import PostgresNIO
import NIOCore
import NIOPosix

/// Turns PostgreSQL client errors into ``VigilError``s that say what happened and what to do, and tells
/// connection trouble (worth a retry) from errors that retrying cannot fix.
public enum StoreError {
    /// SQLSTATE of a server error, if the error came from the server.
    public static func sqlState(_ error: any Error) -> String? {
        if let libpq = error as? LibPQError { return libpq.sqlState }
        // A statement that failed inside `withTransaction` comes wrapped in the transaction's error.
        if let transaction = error as? PostgresTransactionError {
            return (transaction.closureError ?? transaction.commitError).flatMap { sqlState($0) }
        }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Server errors that a retry on a new connection may get past: connection exceptions (class 08, but
    /// not 08P01: a protocol violation repeats on every attempt), the server shutting down or starting up,
    /// too many connections, lost serialization races.
    static func isTransient(sqlState state: String) -> Bool {
        (state.hasPrefix("08") && state != "08P01") || ["57P01", "57P02", "57P03", "53300", "40001", "40P01"].contains(state)
    }

    /// Whether retrying after reconnecting may succeed: the connection dropped, the server is shutting down
    /// or starting up, or the transaction lost a serialization race.
    public static func isTransient(_ error: any Error) -> Bool {
        if let vigil = error as? VigilError { return (vigil.cause as? PlainCause)?.transient ?? false }
        if let libpq = error as? LibPQError {
            switch libpq.kind {
            case .connect, .timeout, .connectionLost: return true
            case .authentication, .protocolViolation: return false
            case .server: return isTransient(sqlState: libpq.sqlState ?? "")
            }
        }
        // A transaction whose connection died mid-way: what counts is why it failed, not the wrapper.
        if let transaction = error as? PostgresTransactionError {
            return [transaction.beginError, transaction.closureError, transaction.commitError]
                .compactMap { $0 }.contains { isTransient($0) }
        }
        if error is IOError || error is ChannelError || error is NIOConnectionError { return true }
        // postgres-nio's pool gives up on a server that stays down (circuit breaker) with its own error type.
        if String(describing: type(of: error)) == "ConnectionPoolError" { return true }
        guard let psql = error as? PSQLError else { return false }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return true
        case .server:
            return isTransient(sqlState: psql.serverInfo?[.sqlState] ?? "")
        default:
            return false
        }
    }

    /// A ``VigilError`` for `error`, which happened while `doing` something with the database at `url`.
    public static func wrap(_ error: any Error, doing: String, url: DatabaseURL) -> VigilError {
        if let vigil = error as? VigilError { return vigil }
        // What failed inside a transaction, not the transaction's wrapper: keeps the SQLSTATE (a unique violation
        // in a transaction is a conflict the caller reports, not an unknown database error).
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError ?? transaction.commitError {
            return wrap(inner, doing: doing, url: url)
        }
        let subject = url.description
        let transient = isTransient(error)
        if let libpq = error as? LibPQError { return wrap(libpq, doing: doing, url: url, transient: transient) }
        guard let psql = error as? PSQLError else {
            if let conn = error as? NIOConnectionError {
                return VigilError(.database, "cannot connect to PostgreSQL while \(doing): "
                    + connectionReason(conn) + "; check DATABASE_URL and that the server is running",
                    subject: subject, cause: PlainCause(state: nil, transient: true))
            }
            return VigilError(.database, "database error while \(doing): \(String(describing: error))",
                              subject: subject, cause: PlainCause(state: nil, transient: transient))
        }
        switch psql.code {
        case .server:
            let state = psql.serverInfo?[.sqlState] ?? "?"
            let message = psql.serverInfo?[.message] ?? "unknown server error"
            let detail = psql.serverInfo?[.detail].map { " (\($0))" } ?? ""
            switch state {
            case "28P01", "28000":
                return VigilError(.database, "authentication failed for user '\(url.user)': \(message); "
                    + "check the user and password in DATABASE_URL", subject: subject, cause: PlainCause(state: state, transient: transient))
            case "3D000":
                return VigilError(.database, "\(message); create it (createdb \(url.database)) or fix the "
                    + "database name in DATABASE_URL", subject: subject, cause: PlainCause(state: state, transient: transient))
            default:
                return VigilError(.database, "PostgreSQL refused \(doing): \(message)\(detail) [SQLSTATE \(state)]",
                                  subject: subject, cause: PlainCause(state: state, transient: transient))
            }
        case .connectionError:
            let reason = psql.underlying.map { underlying -> String in
                if let conn = underlying as? NIOConnectionError { return connectionReason(conn) }
                return String(describing: underlying)
            } ?? "connection failed"
            return VigilError(.database, "cannot connect to PostgreSQL while \(doing): \(reason); "
                + "check DATABASE_URL and that the server is running", subject: subject, cause: PlainCause(state: nil, transient: transient))
        case .serverClosedConnection, .uncleanShutdown:
            return VigilError(.database, "the PostgreSQL server closed the connection while \(doing); "
                + "check the server log", subject: subject, cause: PlainCause(state: nil, transient: transient))
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return VigilError(.database, "authentication failed for user '\(url.user)' (\(psql.code)); "
                + "check the password in DATABASE_URL", subject: subject, cause: PlainCause(state: nil, transient: transient))
        case .sslUnsupported:
            return VigilError(.database, "the server does not support TLS but sslmode=\(url.tls.rawValue) requires "
                + "it; use sslmode=prefer or disable", subject: subject, cause: PlainCause(state: nil, transient: transient))
        default:
            return VigilError(.database, "database error while \(doing): \(psql.code)", subject: subject,
                              cause: PlainCause(state: nil, transient: transient))
        }
    }

    private static func wrap(_ error: LibPQError, doing: String, url: DatabaseURL, transient: Bool) -> VigilError {
        let subject = url.description
        let cause = PlainCause(state: error.sqlState, transient: transient)
        switch error.kind {
        case .connect:
            return VigilError(.database, "cannot connect to PostgreSQL while \(doing): \(error.message); "
                + "check DATABASE_URL and that the server is running", subject: subject, cause: cause)
        case .authentication:
            return VigilError(.database, "authentication failed for user '\(url.user)': \(error.message); "
                + "check the user and password in DATABASE_URL", subject: subject, cause: cause)
        case .timeout:
            return VigilError(.database, "PostgreSQL did not answer while \(doing): \(error.message); the connection was "
                + "dropped — check that the server is running and not overloaded", subject: subject, cause: cause)
        case .connectionLost:
            return VigilError(.database, "the connection to PostgreSQL failed while \(doing): \(error.message); "
                + "check the server log", subject: subject, cause: cause)
        case .protocolViolation:
            return VigilError(.database, "unexpected answer from PostgreSQL while \(doing): \(error.message)",
                              subject: subject, cause: cause)
        case .server:
            if error.sqlState == "3D000" {
                return VigilError(.database, "\(error.message); create it (createdb \(url.database)) or fix the "
                    + "database name in DATABASE_URL", subject: subject, cause: cause)
            }
            let detail = error.detail.map { " (\($0))" } ?? ""
            return VigilError(.database, "PostgreSQL refused \(doing): \(error.message)\(detail) [SQLSTATE \(error.sqlState ?? "?")]",
                              subject: subject, cause: cause)
        }
    }

    private static func connectionReason(_ error: NIOConnectionError) -> String {
        if let first = error.connectionErrors.first { return "\(first.error)" }
        if error.dnsAError != nil || error.dnsAAAAError != nil { return "host '\(error.host)' not found" }
        return "no address for '\(error.host)'"
    }

    /// A cause without server internals, keeping the SQLSTATE for callers that branch on it.
    public struct PlainCause: Error, Sendable, CustomStringConvertible {
        public var state: String?
        /// Whether the original error was connection trouble that a retry may fix.
        public var transient: Bool
        public var description: String { state.map { "SQLSTATE \($0)" } ?? "connection" }
    }
}

extension VigilError {
    /// SQLSTATE of a wrapped database error.
    public var sqlState: String? { (cause as? StoreError.PlainCause)?.state }
}
