import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket

/// `/ws/system`: every `interval` a `{"type":"system",...}` snapshot (``SystemRepository``) of what the
/// caller may see: workers, queue depth, per camera frames, frames/s and dropped frames. Authenticated
/// as `/ws` is.
struct SystemSocketController {
    let services: ServerServices
    let sockets: WebSocketController
    static let interval: Duration = .seconds(2)

    func register(on router: RouterGroup<AppRequestContext>) {
        router.ws("ws/system", shouldUpgrade: { request, _ in
            request.headers[.upgrade]?.lowercased() == "websocket" ? .upgrade([:]) : .dontUpgrade
        }) { inbound, outbound, context in
            try await self.handle(inbound, outbound, context.requestContext)
        }
    }

    func handle(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, _ context: AppRequestContext) async throws {
        var messages = inbound.messages(maxSize: 64 * 1024).makeAsyncIterator()
        guard let caller = try await sockets.authenticate(&messages, outbound, context) else { return }
        let (queue, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4))
        let writer = WebSocketController.forward(queue, to: outbound)
        defer { writer.cancel() }
        let system = SystemRepository(database: services.database), logger = services.logger
        let ticker = Task {
            while !Task.isCancelled {
                do {
                    let snapshot = try await system.snapshot(scope: caller.scope)
                    sink.yield(String(decoding: try APIJSON.encoder.encode(snapshot), as: UTF8.self))
                } catch {
                    logger.warning("system snapshot failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: Self.interval)
            }
        }
        defer { ticker.cancel() }
        try await WebSocketController.answerPings(&messages) { sink.yield($0) }
    }
}
