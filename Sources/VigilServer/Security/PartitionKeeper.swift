import Foundation
import Logging
import VigilStore

/// Keeps daily partitions of the server's time tables (`activity_logs`, and `events` for security alerts)
/// ahead of the clock: at start-up and then every hour, seven days ahead.
final class PartitionKeeper: Sendable {
    static let tables = ["activity_logs", "events"]
    let database: Database
    let logger: Logger

    init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    func ensure(day: Date = Date(), ahead: Int = 7) async throws {
        // A manager per call: its cache of known partitions must not outlive other processes' DDL.
        let manager = PartitionManager(database: database)
        let first = UTCDay(day)
        try await manager.ensure(days: Set((0...ahead).map { first.adding($0) }), tables: Self.tables)
    }

    /// Runs until cancelled.
    func run() async {
        while !Task.isCancelled {
            do { try await ensure() } catch { logger.error("cannot create time partitions", metadata: ["error": "\(error)"]) }
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}
