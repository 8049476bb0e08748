import Foundation
import Logging
import Synchronization
import CoreMetrics
import VigilStore

/// Live `tracking_update` messages for `/ws/tracking/{task}`. Every sink batch a worker commits sends one
/// small notification (``LiveChannels/trackPoints``: run and time range); this server listens, and when
/// a client follows a task that run belongs to, reads the batch's track points — the rows the database
/// holds, with their track and global ids — and sends one message per camera frame. Workers on any
/// machine reach clients on any server instance through PostgreSQL alone. Each client has a bounded
/// queue that keeps the newest messages: a slow client loses old updates, never slows a worker.
/// A client that asks for frames (`?frames=true`) also gets `frame_image_base64` — the camera's latest
/// annotated preview frame (the `preview` sink's) — on at most ``frameImageInterval`` of updates per camera.
final class TrackingFeed: Sendable {
    private struct Subscriber {
        var task: Int
        var continuation: AsyncStream<String>.Continuation
        var wantsFrames = false
        /// When each camera's frame image last went to this client.
        var framesSent: [Int: ContinuousClock.Instant] = [:]
    }

    /// At most one frame image per camera and client in this time.
    static let frameImageInterval: Duration = .milliseconds(500)

    /// Which task and camera a run's rows are for (a run belongs to one job of at most a few tasks).
    private struct Target: Sendable { var task: Int; var camera: Int }

    let database: Database
    let media: MediaRepository
    let logger: Logger
    let queueCapacity: Int
    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    private let targets = Mutex<[Int: [Target]]>([:])
    private let dropped = Counter(label: "vigil_ws_dropped_messages_total", dimensions: [("route", "tracking")])

    init(database: Database, logger: Logger, queueCapacity: Int = 256) {
        self.database = database
        self.media = MediaRepository(database: database)
        self.logger = logger
        self.queueCapacity = queueCapacity
    }

    /// A new client of `task` (whose visibility the caller checked); `unsubscribe` it when it goes.
    func subscribe(task: Int, frames: Bool = false) -> (id: UUID, messages: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(queueCapacity))
        let id = UUID()
        subscribers.withLock { $0[id] = Subscriber(task: task, continuation: continuation, wantsFrames: frames) }
        return (id, stream)
    }

    func unsubscribe(_ id: UUID) {
        subscribers.withLock { $0.removeValue(forKey: id) }?.continuation.finish()
    }

    func closeAll() {
        let all = subscribers.withLock { s in defer { s.removeAll() }; return Array(s.values) }
        for s in all { s.continuation.finish() }
    }

    private var followedTasks: Set<Int> { subscribers.withLock { Set($0.values.map(\.task)) } }

    /// Listens until cancelled; notifications are handled one at a time, newest kept when they pile up.
    func run() async {
        await handleNotifications(on: LiveChannels.trackPoints, of: database, logger: logger,
                                  failure: "live tracking update failed") { try await self.handle($0) }
    }

    private struct Notification: Decodable {
        var run: Int
        var low: String
        var high: String
    }

    func handle(_ payload: String) async throws {
        let followed = followedTasks
        guard !followed.isEmpty, let note = try? JSONDecoder().decode(Notification.self, from: Data(payload.utf8)) else { return }
        let targets = try await targets(of: note.run).filter { followed.contains($0.task) }
        guard !targets.isEmpty else { return }
        let rows = try await database.query("""
            SELECT camera_id, frame_index, time, track_id, global_id, x, y, w, h, score, map_x, map_y, label, state
            FROM track_points WHERE run_id = $1::int8 AND time BETWEEN $2::timestamptz AND $3::timestamptz
            ORDER BY time, camera_id, track_id
            """, binding: [.int(note.run), .text(note.low), .text(note.high)], doing: "reading live track points")
        let messages = try Self.messages(rows)
        // The frame image goes on each camera's last update of the batch: the nearest to the preview's latest frame.
        var lastOfCamera: [Int: Int] = [:]
        for (i, message) in messages.enumerated() { lastOfCamera[message.camera] = i }
        let framesWanted = subscribers.withLock { s in Set(s.values.filter(\.wantsFrames).map(\.task)) }
        for (i, message) in messages.enumerated() {
            let text = String(decoding: try APIJSON.encoder.encode(message.update), as: UTF8.self)
            for target in targets where target.camera == message.camera {
                var withFrame: String?
                if lastOfCamera[message.camera] == i, framesWanted.contains(target.task),
                   let frame = try await media.latestFrame(camera: message.camera, annotated: true) {
                    var update = message.update
                    update.payload.cameras[String(message.camera)]?.frameImageBase64 = "data:image/jpeg;base64," + frame.jpeg.base64EncodedString()
                    withFrame = String(decoding: try APIJSON.encoder.encode(update), as: UTF8.self)
                }
                publish(text, withFrame: withFrame, camera: message.camera, task: target.task)
            }
        }
    }

    /// Sends `text` to the task's clients; `withFrame` instead to those asking for frames whose last one
    /// for this camera is older than ``frameImageInterval``.
    private func publish(_ text: String, withFrame: String?, camera: Int, task: Int) {
        let now = ContinuousClock.now
        let sends = subscribers.withLock { all in
            var sends: [(AsyncStream<String>.Continuation, String)] = []
            for (id, s) in all where s.task == task {
                if let withFrame, s.wantsFrames, s.framesSent[camera].map({ now - $0 >= Self.frameImageInterval }) ?? true {
                    all[id]?.framesSent[camera] = now
                    sends.append((s.continuation, withFrame))
                } else {
                    sends.append((s.continuation, text))
                }
            }
            return sends
        }
        for (continuation, message) in sends {
            if case .dropped = continuation.yield(message) { dropped.increment() }
        }
    }

    private func targets(of run: Int) async throws -> [Target] {
        if let known = targets.withLock({ $0[run] }) { return known }
        let rows = try await database.query("""
            SELECT tc.task_id, tc.camera_id FROM runs r JOIN processing_task_cameras tc ON tc.job_id = r.job_id WHERE r.id = $1::int8
            """, binding: [.int(run)], doing: "finding the tasks of a run")
        let found = rows.compactMap { r in r[0].int.flatMap { task in r[1].int.map { Target(task: task, camera: $0) } } }
        // A run's tasks never change once it has rows; an empty answer is not kept (asked again next time).
        if !found.isEmpty {
            targets.withLock { cache in
                if cache.count > 10_000 { cache.removeAll() }
                cache[run] = found
            }
        }
        return found
    }

    // MARK: The message

    struct Update: Encodable {
        var type = "tracking_update"
        var payload: Payload
    }

    struct Payload: Encodable {
        /// The camera's source frame index (each camera of a task is its own run).
        var globalFrameIndex: Int
        var timestamp: Date
        var cameras: [String: CameraFrame]
        var personCountPerCamera: [String: Int]
    }

    struct CameraFrame: Encodable {
        /// `data:image/jpeg;base64,...` for clients that asked for frames; absent otherwise.
        var frameImageBase64: String?
        var tracks: [TrackOut]
    }

    struct TrackOut: Encodable {
        var trackId: Int
        var globalId: Int?
        var bboxXyxy: [Double]
        var confidence: Double
        var mapCoords: [Double]?
        var label: String?
        var state: String?

        private enum CodingKeys: String, CodingKey { case trackId, globalId, bboxXyxy, confidence, mapCoords, label, state }

        /// `global_id` and `map_coords` are always there, `null` when unknown (clients require the keys).
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(trackId, forKey: .trackId)
            try c.encode(globalId, forKey: .globalId)
            try c.encode(bboxXyxy, forKey: .bboxXyxy)
            try c.encode(confidence, forKey: .confidence)
            try c.encode(mapCoords, forKey: .mapCoords)
            try c.encodeIfPresent(label, forKey: .label)
            try c.encodeIfPresent(state, forKey: .state)
        }
    }

    /// One update per (camera, frame) of rows ordered by time, camera and track.
    static func messages(_ rows: [[SQLValue]]) throws -> [(camera: Int, update: Update)] {
        var out: [(camera: Int, update: Update)] = []
        var current: (camera: Int, frame: Int, time: Date, tracks: [TrackOut])?
        func flush() {
            guard let c = current else { return }
            let key = String(c.camera)
            let people = Set(c.tracks.filter { $0.label == "person" }.map(\.trackId)).count
            out.append((c.camera, Update(payload: Payload(globalFrameIndex: c.frame, timestamp: c.time,
                                                          cameras: [key: CameraFrame(tracks: c.tracks)],
                                                          personCountPerCamera: [key: people]))))
        }
        for values in rows {
            let r = Row(values)
            let camera = try r.int(0), frame = try r.int(1), time = try r.time(2)
            if current?.camera != camera || current?.frame != frame {
                flush()
                current = (camera, frame, time, [])
            }
            let x = try r.double(5), y = try r.double(6), w = try r.double(7), h = try r.double(8)
            let map = r.optionalDouble(10).flatMap { mx in r.optionalDouble(11).map { [mx, $0] } }
            current?.tracks.append(TrackOut(trackId: try r.int(3), globalId: r.optionalInt(4), bboxXyxy: [x, y, x + w, y + h],
                                            confidence: min(1, max(0, r.optionalDouble(9) ?? 0)), mapCoords: map,
                                            label: r.optionalText(12), state: r.optionalText(13)))
        }
        flush()
        return out
    }
}
