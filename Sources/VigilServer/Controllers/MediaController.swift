import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ServiceLifecycle

/// `/api/v1/media`: what the cameras show now, from the `preview` sink's frames. `GET
/// /frames/{task_id}/{camera_id}` is the latest JPEG of a task's camera (`overlays=false`: as the camera
/// saw it); `GET /live/{camera_id}` is an MJPEG stream (`multipart/x-mixed-replace`) a browser `<img>`
/// shows, a part per new frame.
struct MediaController {
    let services: ServerServices
    static let boundary = "vigil-frame"
    static let keepAlive: Duration = .seconds(5)

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("frames/:task_id/:camera_id", use: frame)
        group.get("live/:camera_id", use: live)
    }

    private static func overlays(_ request: Request) throws -> Bool {
        try Query(request).bool("overlays") ?? true
    }

    @Sendable func frame(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let taskID = try context.bigIDParameter("task_id", "processing task")
        let cameraID = try context.idParameter("camera_id", "camera")
        let overlays = try Self.overlays(request)
        guard let task = try await services.tasks.get(taskID, scope: caller.scope) else { throw APIError.notFound("processing task") }
        guard task.cameras.contains(where: { $0.cameraId == cameraID }) else { throw APIError.notFound("camera") }
        guard let frame = try await services.media.latestFrame(camera: cameraID, annotated: overlays) else {
            throw APIError.notFound("frame (the task's pipeline has no preview sink, or no frame has been processed yet)")
        }
        return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "no-store",
                                               HTTPField.Name("X-Frame-Time")!: frame.time.formatted(APIJSON.timeFormat),
                                               HTTPField.Name("X-Frame-Index")!: String(frame.frameIndex)],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: frame.jpeg)))
    }

    @Sendable func live(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let cameraID = try context.idParameter("camera_id", "camera")
        let overlays = try Self.overlays(request)
        guard try await services.cameras.get(cameraID, scope: caller.scope) != nil else { throw APIError.notFound("camera") }
        let media = services.media, frames = services.frames
        return Response(status: .ok, headers: [.contentType: "multipart/x-mixed-replace; boundary=\(Self.boundary)", .cacheControl: "no-store"],
                        body: ResponseBody { writer in
            let (id, wakeups) = frames.subscribe(camera: cameraID)
            defer { frames.unsubscribe(id) }
            // Every 5 s the frame goes again even if it did not change: a client that left is noticed, and
            // proxies see traffic.
            let keepAlive = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: Self.keepAlive)
                    frames.poke(id)
                }
            }
            defer { keepAlive.cancel() }
            // The stream ends with the server: a graceful shutdown does not wait for a preview nobody closes.
            try await withGracefulShutdownHandler {
                for await _ in wakeups {
                    guard let frame = try await media.latestFrame(camera: cameraID, annotated: overlays) else { continue }
                    var part = ByteBuffer(string: "--\(Self.boundary)\r\nContent-Type: image/jpeg\r\nContent-Length: \(frame.jpeg.count)\r\n\r\n")
                    part.writeBytes(frame.jpeg)
                    part.writeString("\r\n")
                    try await writer.write(part)
                }
            } onGracefulShutdown: {
                frames.unsubscribe(id)
            }
            try await writer.finish(nil)
        })
    }
}
