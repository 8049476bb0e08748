import Foundation
public import Logging
import VigilCore
public import VigilStore

/// `maintenance` jobs: `{"task": "rollups"}` refreshes the rollups and the daily statistics of the runs of
/// the last day,
/// `{"task": "partitions", "days_ahead": 7, "retention_days": 30}` creates the coming days' partitions and
/// drops those older than the retention, `{"task": "noop"}` does nothing (it measures the queue itself).
public struct MaintenanceJobExecutor: JobExecutor {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) { self.database = database; self.logger = logger }

    struct Arguments: Decodable {
        var task: String
        var daysAhead: Int?
        var retentionDays: Double?
        enum CodingKeys: String, CodingKey {
            case task
            case daysAhead = "days_ahead"
            case retentionDays = "retention_days"
        }
    }

    public func execute(_ job: ClaimedJob, control: JobControl) async throws -> String? {
        let arguments: Arguments
        do {
            arguments = try JSONDecoder().decode(Arguments.self, from: Data(job.job.arguments.utf8))
        } catch {
            throw VigilError(.invalidArgument, "maintenance job \(job.job.id): expected {\"task\": \"noop|rollups|partitions\"}, "
                + "got \(job.job.arguments)")
        }
        switch arguments.task {
        case "noop":
            return nil
        case "rollups":
            _ = try await Rollups(database: database).refresh()
            // Daily statistics of the runs that ended in the last day.
            let runs = try await database.query("SELECT id FROM runs WHERE ended_at >= now() - interval '1 day'", binding: [],
                                                doing: "finding recent runs").compactMap { $0.first?.int }
            try await DailyStatistics(database: database).refresh(runIDs: runs)
            return #"{"refreshed_runs": \#(runs.count)}"#
        case "partitions":
            let partitions = PartitionManager(database: database)
            try await partitions.createAhead(daysAhead: arguments.daysAhead ?? 7)
            var dropped: [String] = []
            if let days = arguments.retentionDays {
                dropped = try await partitions.dropOlder(than: Date().addingTimeInterval(-days * 86_400))
            }
            let names = dropped.map { "\"\($0)\"" }.joined(separator: ",")
            return #"{"dropped": [\#(names)]}"#
        default:
            throw VigilError(.invalidArgument, "unknown maintenance task '\(arguments.task)': expected noop, rollups or partitions")
        }
    }
}
