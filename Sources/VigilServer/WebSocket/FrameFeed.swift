import Foundation
import Logging
import Synchronization
import VigilStore

/// Wakes the MJPEG previews of a camera when a worker replaced its latest frame (``LiveChannels/frames``,
/// sent by the `preview` sink). Each preview waits on a queue of one: a slow client skips frames.
final class FrameFeed: Sendable {
    private struct Subscriber {
        var camera: Int
        var continuation: AsyncStream<Void>.Continuation
    }

    let database: Database
    private let subscribers = Mutex<[UUID: Subscriber]>([:])

    init(database: Database) { self.database = database }

    func subscribe(camera: Int) -> (id: UUID, wakeups: AsyncStream<Void>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        subscribers.withLock { $0[id] = Subscriber(camera: camera, continuation: continuation) }
        continuation.yield()  // show the frame there is at once
        return (id, stream)
    }

    /// Wakes one preview without a new frame (its keep-alive: a client that went away is noticed when
    /// the frame is sent again).
    func poke(_ id: UUID) {
        _ = subscribers.withLock { $0[id] }?.continuation.yield()
    }

    func unsubscribe(_ id: UUID) {
        subscribers.withLock { $0.removeValue(forKey: id) }?.continuation.finish()
    }

    func closeAll() {
        let all = subscribers.withLock { s in defer { s.removeAll() }; return Array(s.values) }
        for s in all { s.continuation.finish() }
    }

    /// Listens until cancelled.
    func run() async {
        await database.listen(channel: LiveChannels.frames) { [self] payload in
            guard let camera = Int(payload) else { return }
            let targets = subscribers.withLock { $0.values.filter { $0.camera == camera }.map(\.continuation) }
            for continuation in targets { continuation.yield() }
        }
    }
}
