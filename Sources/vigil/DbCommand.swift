import ArgumentParser
import Foundation
import Logging
import VigilCore
import VigilStore

/// `vigil db ...`: the results database. Uses `$DATABASE_URL`, else the embedded server under
/// `.vigil/postgres` (started on demand).
struct DbCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the results database: migrate, status, retention, stop the embedded server.",
        discussion: """
        The database is $DATABASE_URL (a libpq URI or key=value string), else Vigil's embedded PostgreSQL
        under .vigil/postgres, started on first use and reused across runs.

        Examples:
          vigil db migrate
          vigil db status
          vigil db retention --older-than 30d
          vigil db stop
        """,
        subcommands: [DbMigrateCommand.self, DbStatusCommand.self, DbRetentionCommand.self, DbStopCommand.self])
}

struct DbConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "Connection string (default: $DATABASE_URL, else the embedded server).")
    var url: String?

    var logger: Logger {
        var logger = Logger(label: "vigil.db")
        logger.logLevel = .warning
        return logger
    }

    func withDB<R: Sendable>(_ body: (Database) async throws -> R) async throws -> R {
        do {
            let url = try await StoreLocation.resolve(url, logger: logger)
            return try await withDatabase(url, logger: logger, maxConnections: 2, body)
        } catch {
            dbPrintError(error)
            throw ExitCode.failure
        }
    }
}

struct DbMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending schema migrations.")
    @OptionGroup var connection: DbConnectionOptions

    func run() async throws {
        try await connection.withDB { db in
            let applied = try await Migrator(database: db).migrate()
            try await PartitionManager(database: db).createAhead()
            print(applied.isEmpty ? "schema is up to date (version \(Migration.latestVersion))"
                  : "applied migrations \(applied.map(String.init).joined(separator: ", ")); schema at version \(Migration.latestVersion)")
        }
    }
}

struct DbStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the schema version, partitions and runs.")
    @OptionGroup var connection: DbConnectionOptions

    func run() async throws {
        try await connection.withDB { db in
            let status = try await Migrator(database: db).status()
            print("database: \(db.url)")
            print("schema version: \(status.currentVersion) (this build knows \(status.latestKnown))")
            for applied in status.applied { print("  \(applied.version) \(applied.name)  applied \(applied.appliedAt)") }
            if status.currentVersion > status.latestKnown { print("  the database is NEWER than this build: upgrade Vigil") }
            if !status.pending.isEmpty { print("  pending: \(status.pending.map { "\($0.version) \($0.name)" }.joined(separator: ", ")) — run `vigil db migrate`") }
            print("storage: \(status.timescaleDB ? "TimescaleDB hypertables" : "PostgreSQL range partitions (daily)")")
            guard status.currentVersion > 0 else { return }
            let partitions = PartitionManager(database: db)
            if try await !partitions.usesHypertables() {
                let days = try await partitions.existingDays("track_points").sorted()
                if let first = days.first, let last = days.last {
                    print("track_points partitions: \(days.count), \(first) .. \(last)")
                }
            }
            for line in try await RunStore(database: db).summary(limit: 10) { print(line) }
        }
    }
}

struct DbRetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Drop whole daily partitions older than a duration.")
    @OptionGroup var connection: DbConnectionOptions
    @Option(name: .customLong("older-than"), help: "Age of the data to drop, e.g. 30d, 12h, 2w.")
    var olderThan: String

    func validate() throws {
        guard let seconds = ConfigValueParser.duration(olderThan), seconds > 0 else {
            throw ValidationError("invalid --older-than '\(olderThan)': expected a duration such as 30d or 12h")
        }
    }

    func run() async throws {
        let seconds = ConfigValueParser.duration(olderThan)!
        try await connection.withDB { db in
            try await Migrator(database: db).requireCurrent()
            let cutoff = Date().addingTimeInterval(-seconds)
            let dropped = try await PartitionManager(database: db).dropOlder(than: cutoff)
            try await Rollups(database: db).refresh()
            print(dropped.isEmpty ? "nothing older than \(UTCDay(cutoff))" : "dropped \(dropped.count) partitions: \(dropped.joined(separator: ", "))")
        }
    }
}

struct DbStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop the embedded PostgreSQL server.")

    func run() async throws {
        do {
            let stopped = try EmbeddedPostgres().stop()
            print(stopped ? "stopped the embedded PostgreSQL in .vigil/postgres" : "the embedded PostgreSQL is not running")
        } catch {
            dbPrintError(error)
            throw ExitCode.failure
        }
    }
}

private func dbPrintError(_ error: any Error) {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
}
