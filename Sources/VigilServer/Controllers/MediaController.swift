import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ServiceLifecycle
import Crypto
import NIOPosix
import VigilCore
import VigilExport
import VigilStore

/// `/api/v1/media`: what the cameras show now, from the `preview` sink's frames. `GET
/// /frames/{task_id}/{camera_id}` is the latest JPEG of a task's camera (`overlays=false`: as the camera
/// saw it); `GET /live/{camera_id}` is an MJPEG stream (`multipart/x-mixed-replace`) a browser `<img>`
/// shows, a part per new frame. From recordings: `GET /crops/tracks/{camera_id}/{track_id}` and
/// `/crops/identities/{global_id}` picture a person (their best-seen frame, or the one nearest `time`),
/// and `GET /playback/{camera_id}?from&to` is the footage of a time range as an MP4 clip (`Range` honoured).
struct MediaController {
    let services: ServerServices
    static let boundary = "vigil-frame"
    static let keepAlive: Duration = .seconds(5)

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("frames/:task_id/:camera_id", use: frame)
        group.get("live/:camera_id", use: live)
        group.get("crops/tracks/:camera_id/:track_id", use: trackCrop)
        group.get("crops/identities/:global_id", use: identityCrop)
        group.get("playback/:camera_id", use: playback)
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

    // MARK: From recordings

    @Sendable func trackCrop(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let cameraID = try context.idParameter("camera_id", "camera")
        guard let raw = context.parameters.get("track_id"), let track = Int(raw), (0...Int(Int32.max)).contains(track) else {
            throw APIError.notFound("track")
        }
        let q = Query(request)
        let sighting = try await services.media.sighting(camera: cameraID, track: track, globalID: nil, run: try q.int64("run_id"),
                                                         near: try q.time("time"), scope: caller.scope)
        return try await crop(sighting, what: "track \(track) of camera \(cameraID)")
    }

    @Sendable func identityCrop(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let global = try context.idParameter("global_id", "identity")
        let q = Query(request)
        let sighting = try await services.media.sighting(camera: nil, track: nil, globalID: global, run: try q.int64("run_id"),
                                                         near: try q.time("time"), scope: caller.scope)
        return try await crop(sighting, what: "person \(global)")
    }

    private func crop(_ sighting: Sighting?, what: String) async throws -> Response {
        guard let sighting else { throw APIError.notFound("\(what) (no sighting on the cameras you see)") }
        let source = try recording(sighting.cameraURL, camera: sighting.cameraID)
        let box = BoundingBox(x: sighting.box.x, y: sighting.box.y, width: sighting.box.width, height: sighting.box.height)
        let jpeg = try await NIOThreadPool.singleton.runIfActive {
            try PersonCrop.jpeg(source: source, mediaTime: sighting.mediaTime, box: box)
        }
        var headers: HTTPFields = [.contentType: "image/jpeg", .cacheControl: "private, max-age=300"]
        headers[HTTPField.Name("X-Frame-Time")!] = sighting.time.formatted(APIJSON.timeFormat)
        headers[HTTPField.Name("X-Camera-Id")!] = String(sighting.cameraID)
        headers[HTTPField.Name("X-Track-Id")!] = String(sighting.trackID)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: jpeg)))
    }

    /// The camera's recorded file as this server reads it; 422 for a camera fed by a stream or pushed frames.
    private func recording(_ url: String?, camera: Int) throws -> String {
        guard let url, !url.contains("://"), !url.hasPrefix(PushedFrames.cameraURLPrefix), let path = services.configuration.media.resolve(url) else {
            throw APIError.unprocessable("camera \(camera) has no recorded video (its URL is a stream, pushed frames or unset)")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw APIError.notFound("recording of camera \(camera) (its file is not on this server's disk)")
        }
        return path
    }

    @Sendable func playback(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let cameraID = try context.idParameter("camera_id", "camera")
        let q = Query(request)
        guard let from = try q.time("from"), let to = try q.time("to") else {
            throw APIError.badRequest("query parameters from and to: the range to play, as ISO 8601 times", code: "invalid_parameter")
        }
        let settings = services.configuration.media
        guard to > from else { throw APIError.unprocessable("to: must be after from") }
        guard to.timeIntervalSince(from) <= settings.maxPlaybackSeconds else {
            throw APIError.unprocessable("the range is longer than \(Int(settings.maxPlaybackSeconds)) s; ask for shorter pieces")
        }
        let run = try q.int64("run_id")
        guard let camera = try await services.cameras.get(cameraID, scope: caller.scope) else { throw APIError.notFound("camera") }
        let source = try recording(camera.url, camera: camera.id)
        guard let timeline = try await services.media.timeline(camera: camera.id, cameraName: camera.name, run: run) else {
            throw APIError.notFound("run of camera \(camera.id) (its recording has no time on record until a pipeline processed it)")
        }
        let start = max(0, timeline.mediaTime(from)), end = timeline.mediaTime(to)
        guard end > start else { throw APIError.notFound("footage of camera \(camera.id) in that range (the recording starts later)") }
        let output = try Self.cachedClipPath(source: source, start: start, end: end, cache: settings.playbackCache)
        if !FileManager.default.fileExists(atPath: output) {
            Self.prune(settings.playbackCache, olderThan: settings.playbackRetention)
            do {
                _ = try await NIOThreadPool.singleton.runIfActive { try PlaybackClip.cut(source: source, start: start, end: end, output: output) }
            } catch let error as VigilError where error.code == .invalidArgument || error.code == .mediaDecode {
                throw APIError.notFound("footage of camera \(camera.id) in that range (\(error.message))")
            }
        }
        await services.record("media.playback", .success, context: context, target: "camera:\(camera.id)",
                              details: ["from": .string(from.formatted(APIJSON.timeFormat)), "to": .string(to.formatted(APIJSON.timeFormat))])
        return try await RangedResponse.file(output, contentType: "video/mp4", request: request, context: context,
                                             what: "playback clip", headers: [.contentDisposition: "inline; filename=\"camera-\(camera.id).mp4\""])
    }

    /// One file per recording (as it is now) and range: a player's further requests (Range) hit it.
    static func cachedClipPath(source: String, start: Double, end: Double, cache: String) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: source)
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let key = "\(source)|\(modified)|\(String(format: "%.3f", start))|\(String(format: "%.3f", end))"
        let digest = SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        return cache + "/" + digest.prefix(32) + ".mp4"
    }

    /// Removes clips cut more than `age` seconds ago (a request after that cuts the range again).
    static func prune(_ cache: String, olderThan age: TimeInterval) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []
        for name in files where name.hasSuffix(".mp4") {
            let path = cache + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
               Date().timeIntervalSince(modified) > age {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}
