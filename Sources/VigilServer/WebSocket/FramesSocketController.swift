import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOWebSocket

/// `/ws/frames/{task_id}`: the frames of a processing task's cameras with their tracks drawn, as the
/// `preview` sink keeps them — `{"type":"frame","task_id","camera_id","timestamp","frame_index",
/// "data":<base64 JPEG>}` for each new frame, at most `maxPerSecond` a camera (the preview sink's own
/// `fps` caps it further). Authenticated as `/ws` is; a task the caller cannot see is closed with 4404.
/// A slow client gets the newest frames and never slows a worker.
struct FramesSocketController {
    let services: ServerServices
    let sockets: WebSocketController
    static let maxPerSecond = 5.0

    func register(on router: RouterGroup<AppRequestContext>) {
        router.ws("ws/frames/:task_id", shouldUpgrade: { request, _ in
            request.headers[.upgrade]?.lowercased() == "websocket" ? .upgrade([:]) : .dontUpgrade
        }) { inbound, outbound, context in
            try await self.handle(inbound, outbound, context.requestContext)
        }
    }

    struct Message: Encodable {
        var type = "frame"
        var taskId: Int
        var cameraId: Int
        var timestamp: Date
        var frameIndex: Int
        var data: String
    }

    private struct Reply: Encodable {
        var type: String
        var taskId: Int?
    }

    func handle(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, _ context: AppRequestContext) async throws {
        var messages = inbound.messages(maxSize: 64 * 1024).makeAsyncIterator()
        guard let caller = try await sockets.authenticate(&messages, outbound, context) else { return }
        guard let raw = context.parameters.get("task_id"), let taskID = Int(raw), (1...Query.maxBigID).contains(taskID),
              let task = try await services.tasks.get(taskID, scope: caller.scope) else {
            try? await outbound.close(TrackingSocketController.notFoundCode, reason: "processing task not found")
            return
        }
        let (queue, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(2 * max(1, task.cameras.count)))
        let writer = WebSocketController.forward(queue, to: outbound)
        defer { writer.cancel() }
        try await outbound.write(.text(String(decoding: try APIJSON.encoder.encode(Reply(type: "subscribed", taskId: taskID)), as: UTF8.self)))
        let media = services.media, frames = services.frames
        let readers = task.cameras.map { camera in
            Task {
                let (id, wakeups) = frames.subscribe(camera: camera.cameraId)
                defer { frames.unsubscribe(id) }
                var lastIndex: Int?, lastTime: Date?
                let clock = ContinuousClock()
                var lastSent = clock.now - .seconds(1)
                for await _ in wakeups {
                    let wait = lastSent + .seconds(1 / Self.maxPerSecond) - clock.now
                    if wait > .zero { try? await Task.sleep(for: wait) }
                    guard !Task.isCancelled else { return }
                    guard let frame = try? await media.latestFrame(camera: camera.cameraId, annotated: true),
                          frame.frameIndex != lastIndex || frame.time != lastTime else { continue }
                    lastIndex = frame.frameIndex
                    lastTime = frame.time
                    lastSent = clock.now
                    let message = Message(taskId: taskID, cameraId: camera.cameraId, timestamp: frame.time, frameIndex: frame.frameIndex,
                                          data: frame.jpeg.base64EncodedString())
                    if let text = try? APIJSON.encoder.encode(message) { sink.yield(String(decoding: text, as: UTF8.self)) }
                }
            }
        }
        defer { for reader in readers { reader.cancel() } }
        try await WebSocketController.answerPings(&messages) { sink.yield($0) }
    }
}
