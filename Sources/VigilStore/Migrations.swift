import VigilCore
import Logging
import PostgresNIO
import Foundation

/// One versioned schema change: a plain `.sql` file in `Sources/VigilStore/Migrations`, embedded in the
/// binary at build time so the executable needs no resource bundle beside it.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) { self.version = version; self.name = name; self.sql = sql }

    /// FNV-1a of the SQL text, recorded to notice a migration edited after it was applied.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// Every migration this build knows, in order. Add a file `vNNNN_name.sql` and a line here.
    public static let all: [Migration] = [
        Migration(version: 1, name: "schema", sql: String(decoding: PackageResources.v0001_schema_sql, as: UTF8.self)),
        Migration(version: 2, name: "alerts", sql: String(decoding: PackageResources.v0002_alerts_sql, as: UTF8.self)),
        Migration(version: 3, name: "accounts", sql: String(decoding: PackageResources.v0003_accounts_sql, as: UTF8.self)),
        Migration(version: 4, name: "jobs", sql: String(decoding: PackageResources.v0004_jobs_sql, as: UTF8.self)),
        Migration(version: 5, name: "truncated", sql: String(decoding: PackageResources.v0005_truncated_sql, as: UTF8.self)),
        Migration(version: 6, name: "run_snapshots",
                  sql: String(decoding: PackageResources.v0006_run_snapshots_sql, as: UTF8.self)),
        Migration(version: 7, name: "operations", sql: String(decoding: PackageResources.v0007_operations_sql, as: UTF8.self)),
        Migration(version: 8, name: "processing_tasks",
                  sql: String(decoding: PackageResources.v0008_processing_tasks_sql, as: UTF8.self)),
        Migration(version: 9, name: "export_files", sql: String(decoding: PackageResources.v0009_export_files_sql, as: UTF8.self)),
        Migration(version: 10, name: "camera_frames", sql: String(decoding: PackageResources.v0010_camera_frames_sql, as: UTF8.self)),
        Migration(version: 11, name: "pushed_frames", sql: String(decoding: PackageResources.v0011_pushed_frames_sql, as: UTF8.self)),
        Migration(version: 12, name: "dms_sessions", sql: String(decoding: PackageResources.v0012_dms_sessions_sql, as: UTF8.self)),
        Migration(version: 13, name: "dms_driver_settings",
                  sql: String(decoding: PackageResources.v0013_dms_driver_settings_sql, as: UTF8.self)),
        Migration(version: 14, name: "departments", sql: String(decoding: PackageResources.v0014_departments_sql, as: UTF8.self)),
        Migration(version: 15, name: "face_sessions", sql: String(decoding: PackageResources.v0015_face_sessions_sql, as: UTF8.self)),
    ]

    public static var latestVersion: Int { all.last?.version ?? 0 }
}

/// What `vigil db status` shows.
public struct SchemaStatus: Sendable {
    public var currentVersion: Int
    public var latestKnown: Int
    public var applied: [(version: Int, name: String, appliedAt: String)]
    public var timescaleDB: Bool
    public var pending: [Migration] { Migration.all.filter { $0.version > currentVersion } }
}

/// Applies migrations in order, each in its own transaction under an advisory lock, recording each in
/// `schema_migrations`. A database at a newer version than this build knows is refused before anything
/// is written.
public struct Migrator: Sendable {
    public let database: Database
    public let migrations: [Migration]
    /// Arbitrary key for `pg_advisory_xact_lock`, shared by every Vigil process.
    static let lockKey: Int64 = 0x5669_6769_6c4d_6967
    /// How long one migration's transaction may take.
    static let migrationTimeout: Duration = .seconds(30 * 60)

    public init(database: Database, migrations: [Migration] = Migration.all) {
        self.database = database
        self.migrations = migrations
    }

    /// Applies what is pending; returns the versions applied (empty when the schema was current).
    @discardableResult
    public func migrate() async throws -> [Int] {
        var applied: [Int] = []
        let known = migrations.last?.version ?? 0
        while true {
            // DDL is not a quick operation: an index on a large table takes minutes, and another process
            // migrating holds the advisory lock meanwhile. The deadline only catches a server that is gone.
            let next: Int? = try await database.withTransaction(timeout: Self.migrationTimeout, doing: "migrating the schema") { connection in
                let logger = database.logger
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                let current = try await Self.currentVersion(connection, logger: logger)
                if current > known {
                    throw Self.newerSchemaError(current: current, known: known, url: database.url)
                }
                guard let migration = migrations.first(where: { $0.version > current }) else { return nil }
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
                if current == 0 { try await Self.enableTimescaleIfAvailable(connection, logger: logger) }
                for statement in SQLScript.statements(migration.sql) {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch {
                        let wrapped = StoreError.wrap(error, doing: "applying migration \(migration.version) (\(migration.name))",
                                                      url: database.url)
                        throw VigilError(.database, wrapped.message + "; the migration was rolled back",
                                         subject: wrapped.subject, cause: wrapped.cause)
                    }
                }
                try await connection.query("""
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
                return migration.version
            }
            guard let next else { break }
            database.logger.info("applied migration", metadata: ["migration.version": "\(next)"])
            applied.append(next)
        }
        return applied
    }

    /// Fails unless the schema is exactly at the version this build knows.
    public func requireCurrent() async throws {
        let status = try await status()
        if status.currentVersion > status.latestKnown {
            throw Self.newerSchemaError(current: status.currentVersion, known: status.latestKnown, url: database.url)
        }
        if status.currentVersion < status.latestKnown {
            throw VigilError(.database, "the database schema is at version \(status.currentVersion), this build "
                + "needs \(status.latestKnown); run `vigil db migrate`", subject: database.url.description)
        }
    }

    public func status() async throws -> SchemaStatus {
        let known = migrations.last?.version ?? 0
        return try await database.withConnection(doing: "reading the schema version") { connection in
            let logger = database.logger
            let current = try await Self.currentVersion(connection, logger: logger)
            var applied: [(Int, String, String)] = []
            if current > 0 {
                let rows = try await connection.query(
                    "SELECT version, name, applied_at::text FROM schema_migrations ORDER BY version", logger: logger)
                for try await (version, name, at) in rows.decode((Int, String, String).self) { applied.append((version, name, at)) }
            }
            let ts = try await connection.query("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'", logger: logger)
            var timescale = false
            for try await count in ts.decode(Int.self) { timescale = count > 0 }
            return SchemaStatus(currentVersion: current, latestKnown: known, applied: applied, timescaleDB: timescale)
        }
    }

    static func currentVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        var found = false
        for try await value in exists.decode(Bool.self) { found = value }
        guard found else { return 0 }
        let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
        var version = 0
        for try await value in rows.decode(Int.self) { version = value }
        return version
    }

    /// Uses TimescaleDB hypertables when the extension is installed on the server (and not disabled with
    /// `VIGIL_TIMESCALEDB=off`); plain partitioned tables otherwise.
    static func enableTimescaleIfAvailable(_ connection: PostgresConnection, logger: Logger) async throws {
        if let flag = ProcessInfo.processInfo.environment["VIGIL_TIMESCALEDB"], ["off", "0", "false"].contains(flag.lowercased()) { return }
        let rows = try await connection.query("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'", logger: logger)
        var available = false
        for try await count in rows.decode(Int.self) { available = count > 0 }
        if available {
            try await connection.query("CREATE EXTENSION IF NOT EXISTS timescaledb", logger: logger)
            logger.info("using TimescaleDB hypertables")
        }
    }

    static func newerSchemaError(current: Int, known: Int, url: DatabaseURL) -> VigilError {
        VigilError(.database, "the database schema is at version \(current) but this build of Vigil knows only up "
            + "to version \(known); upgrade Vigil or point DATABASE_URL at another database (nothing was written)",
            subject: url.description, cause: StoreError.PlainCause(state: "vigil_schema_newer", transient: false))
    }
}
