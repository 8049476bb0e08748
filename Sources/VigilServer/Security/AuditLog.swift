import Foundation
import Logging
import VigilStore

/// Writes the audit log, publishes each row on the `activity` channel, and runs the security rules over it.
/// A failed audit write is logged as an error; it does not undo or fail the request it describes.
final class AuditLog: Sendable {
    let activity: ActivityRepository
    let rules: SecurityRules
    let hub: Hub
    let partitions: PartitionKeeper
    let logger: Logger

    init(database: Database, hub: Hub, partitions: PartitionKeeper, logger: Logger) {
        self.activity = ActivityRepository(database: database)
        self.rules = SecurityRules(activity: activity, alerts: SecurityAlertRepository(database: database), hub: hub, logger: logger)
        self.hub = hub
        self.partitions = partitions
        self.logger = logger
    }

    @discardableResult
    func record(_ entry: ActivityRepository.NewEntry) async -> ActivityEntry? {
        do {
            let row: ActivityEntry
            do {
                row = try await activity.insert(entry)
            } catch where StoreError.state(of: error) == "23514" {
                // No partition for the row's day yet (the keeper makes them ahead; a clock jump can outrun it).
                try await partitions.ensure(day: entry.time)
                row = try await activity.insert(entry)
            }
            if let data = try? String(decoding: APIJSON.encoder.encode(row), as: UTF8.self) {
                hub.publish(.init(channel: "activity", tenantID: row.tenantId, userID: row.userId, data: data,
                                  administratorsOnly: ActivityRepository.administratorsOnly.contains(row.action)))
            }
            await rules.check(row)
            return row
        } catch {
            logger.error("cannot write the activity log", metadata: ["action": "\(entry.action)", "error": "\(error)"])
            return nil
        }
    }
}
