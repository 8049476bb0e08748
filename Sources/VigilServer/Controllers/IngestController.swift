import Foundation
import Hummingbird
import HTTPTypes

/// `/api/v1/ingest`: frames a client pushes to a push camera (URL `push:`), a JPEG per request, for the
/// worker whose `push` source runs the camera's task. `POST /{camera_id}` with an `image/jpeg` body and
/// optionally `?captured_at=` (ISO 8601: when the client took it; else the server's receipt time times
/// it). Answers 202 with the frame's sequence number; a bad, too large or too fast frame gets 400, 413 or
/// 429 with a reason, and nothing is stored. For high frame rates the WebSocket's `frame` messages cost
/// less (no request per frame).
struct IngestController {
    let services: ServerServices
    let ingest: FrameIngest

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post(":camera_id", use: push)
    }

    struct Reply: ResponseEncodable {
        var cameraId: Int
        var seq: Int
        var receivedAt: Date
        var width: Int
        var height: Int
    }

    @Sendable func push(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Reply> {
        let caller = try context.caller()
        let camera = try context.idParameter("camera_id", "camera")
        let capturedAt = try Query(request).time("captured_at")
        if let type = request.headers[.contentType], !type.hasPrefix("image/jpeg"), !type.hasPrefix("application/octet-stream") {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", "send the frame as image/jpeg")
        }
        var request = request
        let body = try await request.collectBody(upTo: .max)
        guard body.readableBytes > 0 else { throw APIError.badRequest("the request needs a JPEG body", code: FrameIngest.Refusal.Code.badFrame.rawValue) }
        do {
            let accepted = try await ingest.accept(Array(body.readableBytesView), camera: camera, capturedAt: capturedAt, caller: caller)
            let reply = Reply(cameraId: camera, seq: accepted.seq, receivedAt: accepted.receivedAt, width: accepted.width, height: accepted.height)
            return .init(status: .accepted, response: reply)
        } catch let refusal as FrameIngest.Refusal {
            throw refusal.apiError
        }
    }
}
