import Foundation
import VigilCore
import PostgresNIO

/// `daily_statistics`: per day, camera and subject, the alerts by kind, severity and hour, the time
/// watched, alerts per watched hour and a risk score, recomputed from `events` and `aggregates` for the
/// days a run wrote (SQL function `vigil_refresh_daily_statistics`, migration 2).
///
/// Risk score: R = (info + 3 x warning + 10 x critical alerts) per monitored hour, a severity-weighted
/// alert rate; risk = 100 x (1 - e^(-R / 10)): 0 with no alerts, 63 at R = 10 (e.g. one critical alert an
/// hour), saturating towards 100. A day with alerts but no monitored time scores 100.
public struct DailyStatistics: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Recomputes the days the runs `runIDs` wrote data for.
    public func refresh(runIDs: [Int]) async throws {
        guard !runIDs.isEmpty else { return }
        let ids = "{" + runIDs.map(String.init).joined(separator: ",") + "}"
        try await database.execute("""
            SELECT vigil_refresh_daily_statistics(low, high)
            FROM (SELECT min(data_from) AS low, max(data_until) AS high FROM runs WHERE id = ANY(\(ids)::int8[])) r
            WHERE low IS NOT NULL
            """, doing: "refreshing daily statistics")
    }
}
