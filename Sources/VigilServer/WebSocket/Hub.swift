import Foundation
import Synchronization
import CoreMetrics

/// Fans messages out to WebSocket connections. Each message says whose it is (tenant, user); each
/// connection sees only what its caller may see, on the channels it subscribed to. Every connection has
/// a bounded queue that keeps the newest messages: a slow client loses its oldest unsent messages
/// (counted in `vigil_ws_dropped_messages_total`) and never slows the publisher or other clients.
final class Hub: Sendable {
    struct Message: Sendable {
        var channel: String
        /// Owner of the data; nil: only admins see it.
        var tenantID: Int?
        /// The user the data is about, when it is personal (activity): such users see their own.
        var userID: UUID?
        /// The JSON of the data; clients receive `{"type": "message", "channel": ..., "data": ...}`.
        var data: String
        /// Only administrators receive it (see `ActivityRepository.administratorsOnly`).
        var administratorsOnly = false

        /// What a subscriber of `subscribed` receives: on a role channel, `kind` names the message's own channel.
        func text(on subscribed: String) -> String {
            subscribed == channel ? #"{"type":"message","channel":"\#(channel)","data":\#(data)}"#
                : #"{"type":"message","channel":"\#(subscribed)","kind":"\#(channel)","data":\#(data)}"#
        }
    }

    /// Channels a client may subscribe to, and who may read them.
    static let channels: Set<String> = Set(["activity", "security", "alerts"]).union(roleChannels.keys)

    /// The role channels of the facility dashboard, each a bundle of the channels above: `admin`
    /// (administrators, supervisors) gets activity and security alerts, `staff` (also operators) those and
    /// camera alerts, `user` (everyone) activity and camera alerts. Each message still goes only to whom it
    /// is visible, and security alerts only to roles that may read `security`.
    static let roleChannels: [String: [String]] = [
        "admin": ["activity", "security"],
        "staff": ["activity", "security", "alerts"],
        "user": ["activity", "alerts"],
    ]

    private struct Subscriber {
        var caller: Caller
        var channels: Set<String>
        var continuation: AsyncStream<String>.Continuation
        /// Cameras this connection pushed frames to: it gets their alerts without subscribing.
        var pushedCameras: Set<Int> = []
    }

    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    let queueCapacity: Int
    private let dropped = Counter(label: "vigil_ws_dropped_messages_total", dimensions: [("route", "ws")])
    private let connections = Gauge(label: "vigil_ws_connections")

    init(queueCapacity: Int = 256) { self.queueCapacity = queueCapacity }

    /// A new connection's queue. `close()` it when the connection ends.
    func connect(_ caller: Caller) -> (id: UUID, messages: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(queueCapacity))
        let id = UUID()
        let count = subscribers.withLock {
            $0[id] = Subscriber(caller: caller, channels: [], continuation: continuation)
            return $0.count
        }
        connections.record(count)
        return (id, stream)
    }

    func close(_ id: UUID) {
        let (subscriber, count) = subscribers.withLock { ($0.removeValue(forKey: id), $0.count) }
        subscriber?.continuation.finish()
        connections.record(count)
    }

    /// Ends every connection's queue (shutdown).
    func closeAll() {
        let all = subscribers.withLock { s in defer { s.removeAll() }; return Array(s.values) }
        for s in all { s.continuation.finish() }
        connections.record(0)
    }

    enum SubscribeOutcome: Equatable { case subscribed, unknownChannel, forbidden }

    func subscribe(_ id: UUID, to channel: String) -> SubscribeOutcome {
        guard Self.channels.contains(channel) else { return .unknownChannel }
        return subscribers.withLock { s in
            guard var sub = s[id] else { return .forbidden }
            guard Self.mayRead(channel, role: sub.caller.role) else { return .forbidden }
            sub.channels.insert(channel)
            s[id] = sub
            return .subscribed
        }
    }

    func unsubscribe(_ id: UUID, from channel: String) {
        subscribers.withLock { s in s[id]?.channels.remove(channel) }
    }

    /// The connection pushed a frame to `camera` (which its caller may push to): their alerts come back on it.
    func follow(_ id: UUID, camera: Int) {
        subscribers.withLock { s in _ = s[id]?.pushedCameras.insert(camera) }
    }

    /// A connection that wants alerts: of every camera its caller sees (subscribed to `alerts`), or of the
    /// cameras it pushed frames to. ``EventFeed`` reads the alerts with each caller's scope.
    struct AlertListener: Sendable {
        var id: UUID
        var caller: Caller
        var all: Bool
        var cameras: Set<Int>
    }

    func alertListeners() -> [AlertListener] {
        subscribers.withLock { s in
            s.compactMap { id, sub in
                let all = sub.channels.contains { $0 == "alerts" || Self.roleChannels[$0]?.contains("alerts") == true }
                return all || !sub.pushedCameras.isEmpty ? AlertListener(id: id, caller: sub.caller, all: all, cameras: sub.pushedCameras) : nil
            }
        }
    }

    /// Queues `text` for one connection (what ``EventFeed`` read for its caller).
    func send(_ text: String, to id: UUID) {
        guard let continuation = subscribers.withLock({ $0[id]?.continuation }) else { return }
        if case .dropped = continuation.yield(text) { dropped.increment() }
    }

    func publish(_ message: Message) {
        let targets = subscribers.withLock { s in
            s.values.compactMap { sub -> (AsyncStream<String>.Continuation, String)? in
                guard Self.visible(message, to: sub.caller), let channel = Self.delivery(of: message.channel, to: sub) else { return nil }
                return (sub.continuation, channel)
            }
        }
        var texts: [String: String] = [:]   // one text per channel delivered on, not per connection
        for (continuation, channel) in targets {
            let text = texts[channel] ?? message.text(on: channel)
            texts[channel] = text
            if case .dropped = continuation.yield(text) { dropped.increment() }
        }
    }

    /// The channel a subscriber receives a message of `channel` on: that one, else a role channel bundling it.
    private static func delivery(of channel: String, to sub: Subscriber) -> String? {
        if sub.channels.contains(channel) { return channel }
        guard mayRead(channel, role: sub.caller.role) else { return nil }
        return sub.channels.sorted().first { roleChannels[$0]?.contains(channel) == true }
    }

    static func mayRead(_ channel: String, role: Role) -> Bool {
        switch channel {
        case "security", "admin": role == .admin || role == .supervisor
        case "staff": role == .admin || role == .supervisor || role == .operator
        default: true
        }
    }

    /// The same rule as the repositories' scope: admins all, supervisors their tenant, others their own rows.
    static func visible(_ message: Message, to caller: Caller) -> Bool {
        if message.administratorsOnly { return caller.role == .admin }
        switch caller.role {
        case .admin: return true
        case .supervisor: return message.tenantID == caller.tenantID
        default: return message.userID == caller.userID && message.tenantID == caller.tenantID
        }
    }
}
