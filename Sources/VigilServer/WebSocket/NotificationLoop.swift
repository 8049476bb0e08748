import Logging
import VigilStore

/// Listens on `channel` until cancelled and hands each payload to `handle`, one at a time; when they
/// pile up, the newest 4,096 wait. A handling that fails is logged (`failure`) and the loop goes on: a
/// live feed is a view of the tables, never their keeper.
func handleNotifications(on channel: String, of database: Database, logger: Logger, failure: String,
                         _ handle: @escaping @Sendable (String) async throws -> Void) async {
    let (notifications, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4096))
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            await database.listen(channel: channel) { sink.yield($0) }
            sink.finish()
        }
        group.addTask {
            for await payload in notifications {
                do {
                    try await handle(payload)
                } catch {
                    logger.warning("\(failure)", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
