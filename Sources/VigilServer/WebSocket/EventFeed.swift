import Foundation
import Logging
import VigilStore

/// Live alerts on `/ws`: `{"type": "alert", "phase": "start"|"update"|"end", "event": {...}}`, the event
/// as `GET /events/{id}` shows it. Every sink batch with new events or alert changes sends one
/// notification (``LiveChannels/events``), and so does an alert a driver's app raised (`{"event": id}`);
/// this server reads the rows once per distinct caller scope
/// among the connections that want alerts — subscribed to `alerts`, or pushing frames to a camera — so
/// each sees only what its scope's SQL returns.
final class EventFeed: Sendable {
    let hub: Hub
    let events: EventRepository
    let database: Database
    let logger: Logger

    init(hub: Hub, events: EventRepository, database: Database, logger: Logger) {
        self.hub = hub
        self.events = events
        self.database = database
        self.logger = logger
    }

    private struct Notification: Decodable {
        struct Change: Decodable {
            var camera: Int
            var alert: String
            var phase: String
        }
        var run: Int?
        var low: String?
        var high: String?
        var changes: [Change]?
        /// An alert stored outside any run (raised by a driver's app): told as started and ended.
        var event: Int?
    }

    struct Message: Encodable {
        var type = "alert"
        var phase: String
        var event: StoredEvent
    }

    /// Listens until cancelled; notifications are handled in order.
    func run() async {
        await handleNotifications(on: LiveChannels.events, of: database, logger: logger,
                                  failure: "live alerts failed") { try await self.handle($0) }
    }

    func handle(_ payload: String) async throws {
        let listeners = hub.alertListeners()
        guard !listeners.isEmpty, let note = try? JSONDecoder().decode(Notification.self, from: Data(payload.utf8)) else { return }
        // One query per distinct scope: a hundred operators of one site cost as many queries as they have scopes.
        let byScope = Dictionary(grouping: listeners) { "\($0.caller.role.rawValue)/\($0.caller.tenantID)/\($0.caller.userID)" }
        if let id = note.event {
            for group in byScope.values {
                guard let event = try await events.get(id, scope: group[0].caller.scope) else { continue }
                for phase in ["start", "end"] {
                    let text = String(decoding: try APIJSON.encoder.encode(Message(phase: phase, event: event)), as: UTF8.self)
                    for listener in group where listener.all || listener.cameras.contains(event.cameraId) { hub.send(text, to: listener.id) }
                }
            }
            return
        }
        guard let run = note.run, let changes = note.changes else { return }
        let changed = Dictionary(changes.map { ("\($0.camera)/\($0.alert)", $0.phase) }) { _, last in last }
        for group in byScope.values {
            let rows = try await events.live(run: run, low: note.low, high: note.high,
                                             changes: changes.map { ($0.camera, $0.alert) }, scope: group[0].caller.scope)
            for (event, isNew) in rows {
                // An alert that started and changed (or ended) within one batch is told as both.
                let change = event.alertId.flatMap { changed["\(event.cameraId)/\($0)"] }
                let phases = (isNew || change == nil ? ["start"] : []) + (change.map { [$0] } ?? [])
                for phase in phases {
                    let text = String(decoding: try APIJSON.encoder.encode(Message(phase: phase, event: event)), as: UTF8.self)
                    for listener in group where listener.all || listener.cameras.contains(event.cameraId) {
                        hub.send(text, to: listener.id)
                    }
                }
            }
        }
    }
}
