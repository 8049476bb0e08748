import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket

/// `/ws`: authenticated by the `Authorization` header, or, for browsers, by a first message
/// `{"type": "authenticate", "token": "..."}` within 5 seconds (else closed with 4401). Then the client
/// subscribes to channels (`{"type": "subscribe", "channel": "activity"}`) and receives
/// `{"type": "message", "channel": ..., "data": ...}` for what its caller may see.
struct WebSocketController {
    let services: ServerServices
    let authenticator: AccessTokenAuthenticator
    static let authenticationTimeout: Duration = .seconds(5)
    static let unauthorizedCode = WebSocketErrorCode.unknown(4401)

    func register(on router: RouterGroup<AppRequestContext>) {
        router.ws("ws", shouldUpgrade: { request, _ in
            request.headers[.upgrade]?.lowercased() == "websocket" ? .upgrade([:]) : .dontUpgrade
        }) { inbound, outbound, context in
            try await self.handle(inbound, outbound, context.requestContext)
        }
    }

    private struct ClientMessage: Decodable {
        var type: String
        var token: String?
        var channel: String?
        /// `frame`: the push camera, the JPEG in base64, and optionally when it was taken (ISO 8601).
        var cameraId: Int?
        var data: String?
        var timestamp: String?
        /// `start_monitoring`: the driver (supervisors; default the caller); `stop_monitoring`: the session
        /// (default the caller's running one).
        var driverId: UUID?
        var sessionId: Int?
        /// `start_monitoring`: `monitoring` (default) or `calibration`.
        var kind: DriverSession.Kind?
    }

    /// The largest message taken: a frame of the largest JPEG the server takes, in base64, with its JSON.
    static func maxMessageBytes(_ ingest: ServerConfiguration.Ingest) -> Int {
        max(64 << 10, ingest.maxFrameBytes / 3 * 4 + 4096)
    }

    private struct Reply: Encodable {
        var type: String
        var channel: String?
        var cameraId: Int?
        var seq: Int?
        var code: String?
        var message: String?
        var user: UserSummary?
        var sessionId: Int?
        var taskId: Int?
        var session: DriverSession?
    }

    private struct UserSummary: Encodable {
        var id: UUID
        var username: String
        var role: Role
        var tenantId: Int
    }

    private func send(_ reply: Reply, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(String(decoding: try APIJSON.encoder.encode(reply), as: UTF8.self)))
    }

    /// The connection's caller: from the upgrade request's `Authorization` header, else from a first
    /// message `{"type": "authenticate", "token": ...}` within 5 seconds (the socket is closed with 4401
    /// otherwise, and nil returned).
    func authenticate(_ messages: inout WebSocketInboundMessageStream.AsyncIterator, _ outbound: WebSocketOutboundWriter,
                      _ context: AppRequestContext) async throws -> Caller? {
        if let caller = context.identity { return caller }
        let timer = Task {
            try await Task.sleep(for: Self.authenticationTimeout)
            try await outbound.close(Self.unauthorizedCode, reason: "authenticate within 5 seconds")
        }
        defer { timer.cancel() }
        guard case .text(let text) = try await messages.next(),
              let message = try? APIJSON.decoder.decode(ClientMessage.self, from: Data(text.utf8)),
              message.type == "authenticate", let token = message.token else {
            try? await outbound.close(Self.unauthorizedCode, reason: "the first message must be {\"type\":\"authenticate\",\"token\":...}")
            return nil
        }
        timer.cancel()
        do {
            return try await authenticator.caller(for: token)
        } catch {
            try? await outbound.close(Self.unauthorizedCode, reason: "invalid or expired token")
            return nil
        }
    }

    /// A `frame` message: stored for the camera's `push` source (see ``FrameIngest``), and the camera's
    /// alerts come back on this connection. The answer is `frame_accepted` with the frame's sequence
    /// number, or an error naming what was wrong; either way the connection goes on.
    private func push(_ message: ClientMessage, caller: Caller, connection: UUID, monitoring: Int?) async -> Reply {
        func error(_ code: String, _ text: String) -> Reply { Reply(type: "error", cameraId: message.cameraId, code: code, message: text) }
        guard let camera = message.cameraId ?? monitoring, (1...Int(Int32.max)).contains(camera) else {
            return error("bad_message", "a frame message needs camera_id, the push camera's id")
        }
        guard let data = message.data, let jpeg = Data(base64Encoded: data, options: .ignoreUnknownCharacters), !jpeg.isEmpty else {
            return error(FrameIngest.Refusal.Code.badFrame.rawValue, "data must be the JPEG image in base64")
        }
        var captured: Date?
        if let timestamp = message.timestamp {
            guard let time = APIJSON.parseTime(timestamp) else {
                return error("bad_message", "timestamp: expected an ISO 8601 time like 2026-12-01T10:00:00.040Z")
            }
            captured = time
        }
        do {
            let accepted = try await services.ingest.accept([UInt8](jpeg), camera: camera, capturedAt: captured, caller: caller)
            services.hub.follow(connection, camera: camera)
            return Reply(type: "frame_accepted", cameraId: camera, seq: accepted.seq)
        } catch let refusal as FrameIngest.Refusal {
            return error(refusal.code.rawValue, refusal.message)
        } catch {
            services.logger.warning("a pushed frame was not stored", metadata: ["camera": "\(camera)", "error": "\(error)"])
            return Reply(type: "error", cameraId: camera, code: "unavailable", message: "the frame could not be stored; try again")
        }
    }

    /// The read loop of a route that only sends: `{"type":"ping"}` is answered with a pong, anything else
    /// with an error, and the loop ends when the client closes.
    static func answerPings(_ messages: inout WebSocketInboundMessageStream.AsyncIterator,
                            reply: (String) async throws -> Void) async throws {
        while let message = try await messages.next() {
            if case .text(let text) = message, text.contains("\"ping\"") {
                try await reply(#"{"type":"pong"}"#)
            } else {
                try await reply(#"{"code":"bad_message","message":"this route only sends; {\"type\":\"ping\"} is answered","type":"error"}"#)
            }
        }
    }

    /// Writes a subscriber's queue to its socket. When the writing stops — a write failed (the client
    /// went), or the queue was finished (the server is stopping) — the socket is closed, which also ends
    /// the handler's read loop, so no connection outlives its feed.
    static func forward(_ queue: AsyncStream<String>, to outbound: WebSocketOutboundWriter) -> Task<Void, Never> {
        Task {
            do {
                for await text in queue { try await outbound.write(.text(text)) }
                guard !Task.isCancelled else { return }
                try await outbound.close(.goingAway, reason: "the server is stopping")
            } catch {
                try? await outbound.close(.unexpectedServerError, reason: "the feed could not be written")
            }
        }
    }

    func handle(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, _ context: AppRequestContext) async throws {
        var messages = inbound.messages(maxSize: Self.maxMessageBytes(services.configuration.ingest)).makeAsyncIterator()
        guard let caller = try await authenticate(&messages, outbound, context) else { return }
        try await send(Reply(type: "authenticated", user: UserSummary(id: caller.userID, username: caller.username, role: caller.role,
                                                                      tenantId: caller.tenantID)), outbound)
        let (id, queue) = services.hub.connect(caller)
        defer { services.hub.close(id) }
        let writer = Self.forward(queue, to: outbound)
        defer { writer.cancel() }
        // The driver-monitoring session this connection started: its frames may omit camera_id.
        var monitoring: DriverSession?
        while let message = try await messages.next() {
            guard case .text(let text) = message, let request = try? APIJSON.decoder.decode(ClientMessage.self, from: Data(text.utf8)) else {
                try await send(Reply(type: "error", code: "bad_message", message: "expected a JSON object with a type"), outbound)
                continue
            }
            switch request.type {
            case "subscribe":
                let channel = request.channel ?? ""
                switch services.hub.subscribe(id, to: channel) {
                case .subscribed: try await send(Reply(type: "subscribed", channel: channel), outbound)
                case .unknownChannel:
                    try await send(Reply(type: "error", channel: channel, code: "unknown_channel",
                                         message: "channels: \(Hub.channels.sorted().joined(separator: ", "))"), outbound)
                case .forbidden:
                    try await send(Reply(type: "error", channel: channel, code: "forbidden", message: "your role may not read \(channel)"), outbound)
                }
            case "unsubscribe":
                services.hub.unsubscribe(id, from: request.channel ?? "")
                try await send(Reply(type: "unsubscribed", channel: request.channel), outbound)
            case "frame":
                try await send(await push(request, caller: caller, connection: id, monitoring: monitoring?.cameraId), outbound)
            case "start_monitoring":
                do {
                    let session = try await services.startMonitoring(caller: caller, driverID: request.driverId, kind: request.kind ?? .monitoring)
                    services.hub.follow(id, camera: session.cameraId)
                    monitoring = session
                    try await send(Reply(type: "monitoring_started", cameraId: session.cameraId, sessionId: session.id, taskId: session.taskId,
                                         session: session), outbound)
                } catch let error as APIError {
                    try await send(Reply(type: "error", code: error.code, message: error.message), outbound)
                }
            case "stop_monitoring":
                do {
                    guard let session = request.sessionId ?? monitoring?.id else {
                        throw APIError.badRequest("stop_monitoring: no session on this connection; give session_id", code: "bad_message")
                    }
                    let ended = try await services.endMonitoring(session, caller: caller)
                    if monitoring?.id == session { monitoring = nil }
                    try await send(Reply(type: "monitoring_ended", cameraId: ended.cameraId, sessionId: ended.id, session: ended), outbound)
                } catch let error as APIError {
                    try await send(Reply(type: "error", code: error.code, message: error.message), outbound)
                }
            case "ping":
                try await send(Reply(type: "pong"), outbound)
            case "authenticate":
                try await send(Reply(type: "error", code: "already_authenticated", message: "this connection is authenticated"), outbound)
            default:
                try await send(Reply(type: "error", code: "bad_message", message: "unknown type \(request.type)"), outbound)
            }
        }
    }
}
