import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOWebSocket

/// `/ws/tracking/{task_id}`: the live `tracking_update` messages of a processing task (see
/// ``TrackingFeed``), for the multi-camera tracking clients that expect this route. Authenticated as
/// `/ws` is; a task the caller cannot see (another tenant's, or one with a camera not assigned to them)
/// is closed with 4404 and the same message as a task that does not exist. `?frames=true` adds the
/// cameras' preview frames (`frame_image_base64`, at most two a second per camera).
struct TrackingSocketController {
    let services: ServerServices
    let sockets: WebSocketController
    static let notFoundCode = WebSocketErrorCode.unknown(4404)

    func register(on router: RouterGroup<AppRequestContext>) {
        router.ws("ws/tracking/:task_id", shouldUpgrade: { request, _ in
            request.headers[.upgrade]?.lowercased() == "websocket" ? .upgrade([:]) : .dontUpgrade
        }) { inbound, outbound, context in
            let frames = (context.request.uri.queryParameters["frames"].map(String.init) ?? "false") == "true"
            try await self.handle(inbound, outbound, context.requestContext, frames: frames)
        }
    }

    private struct Reply: Encodable {
        var type: String
        var taskId: Int?
    }

    private func send(_ reply: Reply, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(String(decoding: try APIJSON.encoder.encode(reply), as: UTF8.self)))
    }

    /// `frames`: the client asked for frame images (`?frames=true`).
    func handle(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, _ context: AppRequestContext, frames: Bool) async throws {
        var messages = inbound.messages(maxSize: 64 * 1024).makeAsyncIterator()
        guard let caller = try await sockets.authenticate(&messages, outbound, context) else { return }
        guard let raw = context.parameters.get("task_id"), let task = Int(raw), (1...Query.maxBigID).contains(task),
              try await services.tasks.get(task, scope: caller.scope) != nil else {
            try? await outbound.close(Self.notFoundCode, reason: "processing task not found")
            return
        }
        let (id, queue) = services.tracking.subscribe(task: task, frames: frames)
        defer { services.tracking.unsubscribe(id) }
        try await send(Reply(type: "subscribed", taskId: task), outbound)
        let writer = WebSocketController.forward(queue, to: outbound)
        defer { writer.cancel() }
        // The client only pings; anything else gets an error and the feed goes on.
        try await WebSocketController.answerPings(&messages) { try await outbound.write(.text($0)) }
    }
}
