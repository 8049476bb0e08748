public import VigilStore
public import Logging
import VigilCore
import Foundation
import Synchronization

/// A throwaway PostgreSQL for tests. Uses the server in `VIGIL_TEST_DATABASE_URL` when set (its user
/// needs CREATEDB), else starts one private cluster per test process in a temporary directory (as the
/// `postgres` user when running as root), stopped and deleted when the process exits. Each test gets
/// a fresh database.
public enum TestPostgres {
    private static let server = Mutex<Result<DatabaseURL, VigilError>?>(nil)
    nonisolated(unsafe) private static var clusterDirectory: String?

    public static let logger: Logger = {
        var logger = Logger(label: "vigil.test.postgres")
        logger.logLevel = ProcessInfo.processInfo.environment["VIGIL_TEST_LOG"] == "debug" ? .debug : .warning
        return logger
    }()

    /// The server's URL (database `postgres`), starting the private cluster on first use.
    public static func serverURL() throws -> DatabaseURL {
        let result = server.withLock { state -> Result<DatabaseURL, VigilError> in
            if let state { return state }
            let result: Result<DatabaseURL, VigilError>
            do {
                result = .success(try startServer())
            } catch let error as VigilError {
                result = .failure(error)
            } catch {
                result = .failure(VigilError(.database, "could not start a test PostgreSQL: \(error)"))
            }
            state = result
            return result
        }
        return try result.get()
    }

    private static func startServer() throws -> DatabaseURL {
        if let env = ProcessInfo.processInfo.environment["VIGIL_TEST_DATABASE_URL"], !env.isEmpty {
            return try DatabaseURL.parse(env)
        }
        let cluster = try TestCluster()
        let url = try cluster.start()
        clusterDirectory = cluster.embedded.directory
        atexit {
            guard let dir = TestPostgres.clusterDirectory else { return }
            _ = try? EmbeddedPostgres(directory: dir).stop(mode: "immediate")
            try? FileManager.default.removeItem(atPath: dir)
        }
        return url.with(database: "postgres")
    }

    /// Runs `body` with the URL of a new, empty database, dropped afterwards.
    public static func withFreshDatabase<R>(_ body: (DatabaseURL) async throws -> R) async throws -> R {
        let server = try serverURL()
        let name = "vigil_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await EmbeddedPostgres.createDatabase(name, on: server, logger: logger, ifMissing: false)
        let url = server.with(database: name)
        do {
            let result = try await body(url)
            try? await drop(name, on: server)
            return result
        } catch {
            try? await drop(name, on: server)
            throw error
        }
    }

    private static func drop(_ name: String, on server: DatabaseURL) async throws {
        try await EmbeddedPostgres.dropDatabase(name, on: server, logger: logger)
    }
}

/// A private PostgreSQL cluster in a temporary directory that a test controls completely: start, stop
/// (`pg_ctl stop -m immediate` simulates a crash), restart on the same port, delete.
public final class TestCluster: Sendable {
    public let embedded: EmbeddedPostgres

    public init() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-pg-" + UUID().uuidString.prefix(8).lowercased()
        // The suite runs in parallel: worker processes, servers (a pool and two listeners each) and sinks
        // each hold a few connections; 200 ran out once tests stopped blocking each other's threads
        // (CI's pg-test-server allows 500 as well).
        embedded = EmbeddedPostgres(directory: dir, settings: ["max_connections": "500", "fsync": "off"])
    }

    /// Starts (or restarts) the server; the URL (unix socket) stays the same across restarts.
    @discardableResult
    public func start() throws -> DatabaseURL { try embedded.start() }

    /// Stops the server; `immediate` is a crash as far as clients can tell.
    public func stop(mode: String = "immediate") throws { try embedded.stop(mode: mode) }

    /// The TCP URL (password-authenticated) of the running server, for tests of credentials.
    public func tcpURL(password: String? = nil) throws -> DatabaseURL {
        guard let url = embedded.runningURL() else { throw VigilError(.database, "test cluster not running") }
        return embedded.tcpURL(port: url.port, password: password)
    }

    /// Stops the server and deletes its directory.
    public func destroy() {
        _ = try? embedded.stop(mode: "immediate")
        try? FileManager.default.removeItem(atPath: embedded.directory)
    }
}
