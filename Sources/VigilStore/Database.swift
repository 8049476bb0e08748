import VigilCore
public import Logging
import PostgresNIO
import NIOSSL

/// A connection pool to one database: postgres-nio's `PostgresClient`, which must be running (see
/// ``withDatabase(_:logger:maxConnections:_:)``, or run ``run()`` as a service) while it is used.
public final class Database: Sendable {
    public let url: DatabaseURL
    public let logger: Logger
    let client: PostgresClient

    public init(url: DatabaseURL, logger: Logger, maxConnections: Int = 4) {
        self.url = url
        self.logger = logger
        var config = Self.clientConfiguration(url)
        config.options.maximumConnections = maxConnections
        config.options.connectTimeout = .seconds(5)
        // The pool's own log is noise for users (it warns when a lease races the pool's start-up, which
        // it then serves); Vigil reports connection failures itself with what to do about them.
        var poolLogger = logger
        poolLogger.logLevel = .error
        self.client = PostgresClient(configuration: config, backgroundLogger: poolLogger)
    }

    /// Runs the pool until the calling task is cancelled. A graceful shutdown (swift-service-lifecycle)
    /// does not stop it: postgres-nio's pool would shut down at the signal, under the feet of the sinks
    /// that drain and record the end of their runs, and of workers handing their jobs back. (A detached
    /// task does not inherit the task-local shutdown manager.)
    public func run() async {
        let client = self.client
        let pool = Task.detached { await client.run() }
        await withTaskCancellationHandler { await pool.value } onCancel: { pool.cancel() }
    }

    static func clientConfiguration(_ url: DatabaseURL) -> PostgresClient.Configuration {
        if url.isUnixSocket {
            return .init(unixSocketPath: url.socketPath, username: url.user, password: url.password, database: url.database)
        }
        return .init(host: url.host, port: url.port, username: url.user, password: url.password,
                     database: url.database, tls: clientTLS(url.tls))
    }

    static func connectionConfiguration(_ url: DatabaseURL) -> PostgresConnection.Configuration {
        var config: PostgresConnection.Configuration
        if url.isUnixSocket {
            config = .init(unixSocketPath: url.socketPath, username: url.user, password: url.password, database: url.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch url.tls {
            case .disable: tls = .disable
            case .allow, .prefer: tls = (try? NIOSSLContext(configuration: noVerify())).map { .prefer($0) } ?? .disable
            case .require: tls = (try? NIOSSLContext(configuration: noVerify())).map { .require($0) } ?? .disable
            case .verifyCA, .verifyFull:
                tls = (try? NIOSSLContext(configuration: .makeClientConfiguration())).map { .require($0) } ?? .disable
            }
            config = .init(host: url.host, port: url.port, username: url.user, password: url.password,
                           database: url.database, tls: tls)
        }
        config.options.connectTimeout = .seconds(5)
        return config
    }

    private static func noVerify() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none   // libpq's sslmode=prefer/require do not verify either
        return tls
    }

    private static func clientTLS(_ mode: DatabaseURL.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .allow, .prefer: .prefer(noVerify())
        case .require: .require(noVerify())
        case .verifyCA, .verifyFull: .require(.makeClientConfiguration())
        }
    }

    /// How long one operation (lease plus work) may take before it is abandoned as a transient failure:
    /// the pool waits for a connection while the server is down, and that wait must end.
    public static let operationTimeout: Duration = .seconds(60)

    /// Leases a connection and runs `body` on it. Fails with a clear ``VigilError`` when it does not
    /// finish within `timeout` (transient: a retry after reconnecting may succeed).
    func withConnection<R: Sendable>(timeout: Duration = Database.operationTimeout, doing: String,
                                            _ body: @escaping @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        do {
            return try await withDeadline(timeout, doing: doing) { [client] in
                try await client.withConnection { connection in try await body(connection) }
            }
        } catch {
            throw StoreError.wrap(error, doing: doing, url: url)
        }
    }

    /// Runs `body` in one transaction, committed when it returns, rolled back when it throws or
    /// does not finish within `timeout`.
    func withTransaction<R: Sendable>(timeout: Duration = Database.operationTimeout, doing: String,
                                             _ body: @escaping @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        let logger = self.logger
        do {
            return try await withDeadline(timeout, doing: doing) { [client] in
                try await client.withConnection { connection in
                    try await connection.withTransaction(logger: logger) { try await body($0) }
                }
            }
        } catch {
            throw StoreError.wrap(error, doing: doing, url: url)
        }
    }

    private func withDeadline<R: Sendable>(_ timeout: Duration, doing: String,
                                           _ body: @escaping @Sendable () async throws -> R) async throws -> R {
        let url = self.url
        return try await VigilStore.withDeadline(timeout, timeoutError: {
            VigilError(.database, "no answer from PostgreSQL within \(timeout) while \(doing); check that the server "
                + "is running and reachable", subject: url.description, cause: StoreError.PlainCause(state: nil, transient: true))
        }, body)
    }

    /// Runs one statement and discards its rows.
    func execute(_ query: PostgresQuery, timeout: Duration = Database.operationTimeout, doing: String) async throws {
        _ = try await withConnection(timeout: timeout, doing: doing) { connection -> Bool in
            try await connection.query(query, logger: self.logger)
            return true
        }
    }

    /// Opens a single connection outside the pool, runs `SELECT 1` and closes it: a fast check that the
    /// server is reachable and accepts the credentials, failing with a clear message otherwise.
    public static func check(_ url: DatabaseURL, logger: Logger) async throws {
        do {
            let connection = try await PostgresConnection.connect(configuration: connectionConfiguration(url), id: 0, logger: logger)
            do {
                try await connection.query("SELECT 1", logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        } catch {
            throw StoreError.wrap(error, doing: "connecting", url: url)
        }
    }
}

/// Runs `body` with a running ``Database`` pool for `url`, checking first that the server is reachable
/// and accepts the credentials (a clear error instead of a pool waiting for a server that never comes).
public func withDatabase<R: Sendable>(_ url: DatabaseURL, logger: Logger, maxConnections: Int = 4,
                                      _ body: (Database) async throws -> R) async throws -> R {
    try await Database.check(url, logger: logger)
    let database = Database(url: url, logger: logger, maxConnections: maxConnections)
    // Lease only once the pool runs: postgres-nio's pool can fail to shut down when connections were
    // requested before `run()` started.
    let started = AsyncStream<Void>.makeStream()
    let pool = Task {
        started.continuation.finish()
        await database.run()
    }
    for await _ in started.stream {}
    await Task.yield()
    let result: Result<R, any Error>
    do { result = .success(try await body(database)) } catch { result = .failure(error) }
    // The pool shuts down when cancelled, waiting for its connections; one abandoned in a hung
    // operation (see withDeadline) never comes back, so the wait is bounded.
    pool.cancel()
    do {
        try await withDeadline(.seconds(10), timeoutError: { CancellationError() }) { await pool.value }
    } catch {
        logger.info("the database pool did not shut down within 10 s; leaving it", metadata: ["db.url": "\(url)"])
    }
    return try result.get()
}
