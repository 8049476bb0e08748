import Foundation
import CoreMetrics
import HTTPTypes
import VigilStore

/// Takes a frame a client pushes — over HTTP or the WebSocket — and stores it for the worker running
/// the camera, or refuses it with a reason: not a JPEG, too large, too fast for the camera, a camera
/// the caller may not push to. Each outcome is counted (`vigil_ingest_frames_total{result}`). Checks
/// that need no database come first, so garbage costs no query.
struct FrameIngest: Sendable {
    let frames: PushedFrameRepository
    let settings: ServerConfiguration.Ingest
    /// Per camera and caller: one client's flood never takes another tenant's camera budget.
    let limiter: RateLimiter

    init(frames: PushedFrameRepository, settings: ServerConfiguration.Ingest) {
        self.frames = frames
        self.settings = settings
        limiter = RateLimiter(policy: RateLimitPolicy(buckets: [.init(max(1, settings.framesPerSecond), per: .seconds(1))]))
    }

    struct Accepted: Sendable, Equatable {
        var camera: Int
        var seq: Int
        var receivedAt: Date
        var width: Int
        var height: Int
    }

    /// Why a frame was refused: a stable code (the WebSocket's `code`, the HTTP error's `code`) and a message.
    struct Refusal: Error, Sendable, Equatable {
        enum Code: String, Sendable { case badFrame = "bad_frame", tooLarge = "too_large", tooFast = "too_fast",
                                          notFound = "not_found", notPushCamera = "not_push_camera", forbidden }
        var code: Code
        var message: String
        var retryAfter: Duration?

        var apiError: APIError {
            switch code {
            case .badFrame: APIError.badRequest(message, code: code.rawValue)
            case .tooLarge: APIError(.contentTooLarge, code: code.rawValue, message)
            case .tooFast:
                APIError.tooManyRequests(retryAfterSeconds: Int(((retryAfter ?? .seconds(1)) / .seconds(1)).rounded(.up)), message)
            case .notFound: APIError.notFound("camera")
            case .notPushCamera: APIError(.conflict, code: code.rawValue, message)
            case .forbidden: APIError.forbidden(message)
            }
        }
    }

    func accept(_ jpeg: [UInt8], camera: Int, capturedAt: Date?, caller: Caller) async throws -> Accepted {
        do {
            let accepted = try await check(jpeg, camera: camera, capturedAt: capturedAt, caller: caller)
            Counter(label: "vigil_ingest_frames_total", dimensions: [("result", "accepted")]).increment()
            return accepted
        } catch let refusal as Refusal {
            Counter(label: "vigil_ingest_frames_total", dimensions: [("result", refusal.code.rawValue)]).increment()
            throw refusal
        }
    }

    private func check(_ jpeg: [UInt8], camera: Int, capturedAt: Date?, caller: Caller) async throws -> Accepted {
        guard caller.role.pushesFrames else { throw Refusal(code: .forbidden, message: "viewers may not push frames") }
        guard jpeg.count <= settings.maxFrameBytes else {
            throw Refusal(code: .tooLarge, message: "a frame of \(jpeg.count) bytes; at most \(settings.maxFrameBytes) are taken")
        }
        let header: JPEGHeader
        do {
            header = try JPEGHeader.parse(jpeg)
        } catch {
            throw Refusal(code: .badFrame, message: error.reason)
        }
        if case .limited(let wait) = limiter.attempt("\(camera)/\(caller.userID)") {
            throw Refusal(code: .tooFast, message: "more than \(settings.framesPerSecond) frames a second for camera \(camera); "
                          + "this one was dropped", retryAfter: wait)
        }
        switch try await frames.store(jpeg, camera: camera, capturedAt: capturedAt, retention: settings.retention, scope: caller.scope) {
        case .stored(let seq, let at):
            return Accepted(camera: camera, seq: seq, receivedAt: at, width: header.width, height: header.height)
        case .noCamera:
            throw Refusal(code: .notFound, message: "camera not found")
        case .notPushCamera:
            throw Refusal(code: .notPushCamera, message: "camera \(camera) takes its frames from its URL; a camera fed by clients has the URL \(PushedFrames.cameraURLPrefix)")
        }
    }
}
