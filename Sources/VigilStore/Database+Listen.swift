import VigilCore
import Logging
import PostgresNIO

extension Database {
    /// Receives the payloads of `NOTIFY channel` on a connection of its own (outside the pool) until the
    /// calling task is cancelled, reconnecting after `retryAfter` whenever the connection is lost.
    /// `connected` is called each time the listener is (again) in place: what was notified while it was
    /// not is lost, so a caller that must not miss anything looks again then.
    public func listen(channel: String, retryAfter: Duration = .seconds(1),
                       connected: @escaping @Sendable () -> Void = {},
                       onNotification: @escaping @Sendable (String) -> Void) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                attempt += 1
                let connection = try await PostgresConnection.connect(
                    configuration: Self.connectionConfiguration(url), id: attempt, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        connected()
                        for try await notification in notifications { onNotification(notification.payload) }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.debug("listener lost its connection", metadata: ["channel": "\(channel)", "error": "\(error)"])
            }
            try? await Task.sleep(for: retryAfter)
        }
    }
}
