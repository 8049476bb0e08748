public import Foundation
import Logging
import PostgresNIO

/// Minute -> hour -> day rollups of `track_points`, refreshed like continuous aggregates: only windows
/// that have closed (ended before `now`) are materialized, and only where the sink marked data as
/// changed (`rollup_invalidations`). Ranges reaching into the open day stay marked for the next refresh.
public struct Rollups: Sendable {
    public let database: Database
    static let lockKey: Int64 = 0x5669_6769_6c52_6f6c

    public init(database: Database) { self.database = database }

    /// Refreshes closed windows of the invalidated ranges; returns the refreshed range of minute buckets.
    @discardableResult
    public func refresh(now: Date = Date()) async throws -> (from: Date, to: Date)? {
        let logger = database.logger
        return try await database.withTransaction(doing: "refreshing rollups") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            let rows = try await connection.query("SELECT min(low), max(high) FROM rollup_invalidations", logger: logger)
            var range: (Date?, Date?) = (nil, nil)
            for try await r in rows.decode((Date?, Date?).self) { range = r }
            guard let low = range.0, let high = range.1 else { return nil }
            let closedMinute = Self.floor(now, 60)
            let start = Self.floor(low, 60)
            let end = min(Self.floor(high, 60).addingTimeInterval(60), closedMinute)
            guard start < end else { return nil }
            try await connection.query("DELETE FROM rollup_invalidations", logger: logger)
            // What reaches into the open day is refreshed again later (its hours and day are not closed yet).
            let openDay = Self.floor(closedMinute, 86_400)
            if high >= openDay {
                try await connection.query("INSERT INTO rollup_invalidations (low, high) VALUES (\(max(low, openDay)), \(high))", logger: logger)
            }
            try await connection.query("DELETE FROM track_rollups_minute WHERE bucket >= \(start) AND bucket < \(end)", logger: logger)
            try await connection.query("""
                INSERT INTO track_rollups_minute (bucket, camera_id, class_id, points, peak_tracks)
                SELECT date_trunc('minute', time), camera_id, class_id, count(*), count(DISTINCT (run_id, track_id))
                FROM track_points WHERE time >= \(start) AND time < \(end) GROUP BY 1, 2, 3
                """, logger: logger)
            try await Self.rollUp(from: "track_rollups_minute", to: "track_rollups_hour", unit: "hour", seconds: 3600,
                                  start: start, end: end, closed: closedMinute, connection, logger)
            try await Self.rollUp(from: "track_rollups_hour", to: "track_rollups_day", unit: "day", seconds: 86_400,
                                  start: start, end: end, closed: closedMinute, connection, logger)
            return (start, end)
        }
    }

    private static func rollUp(from source: String, to target: String, unit: String, seconds: Double, start: Date, end: Date,
                               closed: Date, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let from = floor(start, seconds)
        let to = min(floor(end.addingTimeInterval(-1), seconds).addingTimeInterval(seconds), floor(closed, seconds))
        guard from < to else { return }
        try await connection.query("DELETE FROM \(unescaped: target) WHERE bucket >= \(from) AND bucket < \(to)", logger: logger)
        try await connection.query("""
            INSERT INTO \(unescaped: target) (bucket, camera_id, class_id, points, peak_tracks)
            SELECT date_trunc(\(unit), bucket, 'UTC'), camera_id, class_id, sum(points)::bigint, max(peak_tracks)
            FROM \(unescaped: source) WHERE bucket >= \(from) AND bucket < \(to) GROUP BY 1, 2, 3
            """, logger: logger)
    }

    static func floor(_ date: Date, _ seconds: Double) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / seconds).rounded(.down) * seconds)
    }
}
