import VigilCore
public import struct Foundation.Date
import Logging
import PostgresNIO

/// Daily range partitions of the time-partitioned tables: created ahead of time and on demand for the
/// days the data falls on, and dropped whole by retention. With TimescaleDB the tables are hypertables
/// and this defers to its chunks.
public final class PartitionManager: @unchecked Sendable {
    /// Tables partitioned by `time`.
    public static let timeTables = ["track_points", "detections", "events", "aggregates"]
    /// Arbitrary advisory-lock key serializing partition DDL between Vigil processes.
    static let lockKey: Int64 = 0x5669_6769_6c50_6172

    public let database: Database
    /// Days known to have a partition, per table (only touched by the owning task).
    private var known: [String: Set<UTCDay>] = [:]
    private var hypertables: Bool?

    public init(database: Database) { self.database = database }

    public static func partitionName(_ table: String, _ day: UTCDay) -> String { "\(table)_p\(day.compact)" }

    /// Serializes partition DDL between Vigil processes (until the transaction ends).
    static let lockStatement = "SELECT pg_advisory_xact_lock(\(lockKey))"

    /// Creates the partition of `table` for `day` unless it exists.
    static func createStatement(_ table: String, _ day: UTCDay) -> String {
        """
        CREATE TABLE IF NOT EXISTS "\(partitionName(table, day))" PARTITION OF "\(table)"
        FOR VALUES FROM ('\(day) 00:00:00+00') TO ('\(day.adding(1)) 00:00:00+00')
        """
    }

    /// Makes sure every table in `tables` has a partition for each of `days`.
    public func ensure(days: Set<UTCDay>, tables: [String] = PartitionManager.timeTables) async throws {
        if try await usesHypertables() { return }
        var missing: [(String, UTCDay)] = []
        for table in tables {
            if known[table] == nil { known[table] = try await existingDays(table) }
            for day in days where !known[table]!.contains(day) { missing.append((table, day)) }
        }
        guard !missing.isEmpty else { return }
        let sorted = missing.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        try await database.withTransaction(doing: "creating time partitions") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: Self.lockStatement), logger: self.database.logger)
            for (table, day) in sorted {
                try await connection.query(PostgresQuery(unsafeSQL: Self.createStatement(table, day)), logger: self.database.logger)
            }
        }
        for (table, day) in missing { known[table]!.insert(day) }
        database.logger.debug("created partitions", metadata: ["partitions.count": "\(missing.count)"])
    }

    /// Creates partitions from `from` through `daysAhead` days after it.
    public func createAhead(from day: UTCDay = UTCDay(Date()), daysAhead: Int = 7) async throws {
        try await ensure(days: Set((0...max(0, daysAhead)).map { day.adding($0) }))
    }

    /// Days that have a partition of `table`.
    public func existingDays(_ table: String) async throws -> Set<UTCDay> {
        let names = try await partitions(of: table)
        return Set(names.compactMap { UTCDay(compact: $0.dropFirst(table.count + 2)) })
    }

    /// Names of the partitions of `table`.
    public func partitions(of table: String) async throws -> [String] {
        try await database.withConnection(doing: "listing partitions") { connection in
            let rows = try await connection.query("""
                SELECT c.relname FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
                WHERE p.relname = \(table) AND p.relnamespace = current_schema()::regnamespace
                ORDER BY c.relname
                """, logger: self.database.logger)
            var names: [String] = []
            for try await name in rows.decode(String.self) { names.append(name) }
            return names
        }
    }

    /// Drops every partition whose whole day lies before `cutoff` (hypertables: `drop_chunks`), and
    /// deletes minute rollups and track summaries older than it. Returns the dropped partitions.
    @discardableResult
    public func dropOlder(than cutoff: Date) async throws -> [String] {
        let cutoffDay = UTCDay(cutoff)
        let hyper = try await usesHypertables()
        let dropped = try await database.withTransaction(doing: "applying retention") { connection in
            let logger = self.database.logger
            var dropped: [String] = []
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            for table in Self.timeTables {
                if hyper {
                    try await connection.query(PostgresQuery(unsafeSQL: "SELECT drop_chunks('\(table)', older_than => '\(cutoffDay) 00:00:00+00'::timestamptz)"), logger: logger)
                    continue
                }
                let rows = try await connection.query("""
                    SELECT c.relname FROM pg_inherits i
                    JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
                    WHERE p.relname = \(table) AND p.relnamespace = current_schema()::regnamespace
                    """, logger: logger)
                var names: [String] = []
                for try await name in rows.decode(String.self) { names.append(name) }
                for name in names {
                    // A partition for day D holds [D, D+1): it is entirely older than the cutoff when D+1 <= cutoff day.
                    guard let day = UTCDay(compact: name.dropFirst(table.count + 2)), day.adding(1) <= cutoffDay else { continue }
                    try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE \"\(name)\""), logger: logger)
                    dropped.append(name)
                }
            }
            let bound = cutoffDay.start
            try await connection.query("DELETE FROM track_rollups_minute WHERE bucket < \(bound)", logger: logger)
            try await connection.query("DELETE FROM tracks WHERE last_seen < \(bound)", logger: logger)
            try await connection.query("DELETE FROM identities WHERE last_seen < \(bound)", logger: logger)
            return dropped
        }
        for table in Self.timeTables { known[table] = nil }
        return dropped.sorted()
    }

    /// Whether the time tables are TimescaleDB hypertables rather than declaratively partitioned.
    public func usesHypertables() async throws -> Bool {
        if let hypertables { return hypertables }
        let value = try await database.withConnection(doing: "inspecting the schema") { connection in
            let rows = try await connection.query(
                "SELECT relkind::text FROM pg_class WHERE oid = to_regclass('track_points')", logger: self.database.logger)
            var kind = ""
            for try await k in rows.decode(String.self) { kind = k }
            if kind.isEmpty {
                throw VigilError(.database, "table track_points does not exist; run `vigil db migrate`",
                                 subject: self.database.url.description)
            }
            return kind != "p"
        }
        hypertables = value
        return value
    }
}
