import Foundation
import Logging
import CoreMetrics
import VigilCore
import VigilMedia
import VigilStore

/// The running `push` source (see ``PushSourceSpec``).
final class PushSource: Stage {
    private let spec: PushSourceSpec
    private let camera: Int
    private let context: StageContext
    private let received: Counter
    private let rejected: Counter

    init(spec: PushSourceSpec, camera: Int, context: StageContext) {
        self.spec = spec
        self.camera = camera
        self.context = context
        received = Counter(label: "vigil_push_frames_total", dimensions: [("source", context.id)])
        rejected = Counter(label: "vigil_push_frames_rejected_total", dimensions: [("source", context.id)])
    }

    /// One stored frame, oldest first.
    private struct Pushed {
        var seq: Int
        var time: Date
        var jpeg: [UInt8]
    }

    func run(input: StageInput, output: StageOutput) async throws {
        let url = try await StoreLocation.resolve(spec.url, logger: context.logger)
        let decoder = try JPEGDecoder()
        try await withDatabase(url, logger: context.logger, maxConnections: 1) { database in
            // Woken by the server's notification, and every 250 ms to notice a stop.
            let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let camera = self.camera
            let listener = Task {
                await database.listen(channel: LiveChannels.pushedFrames) { payload in
                    if payload == String(camera) { wake.yield() }
                }
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    wake.yield()
                }
            }
            defer {
                listener.cancel()
                ticker.cancel()
                wake.finish()
            }
            var last = try await self.firstSequence(database)
            var state = Timing()
            var lastFrameAt = ContinuousClock.now
            for await _ in wakeups {
                if self.context.shutdown.isRequested { return }
                var batch: [Pushed]
                repeat {
                    batch = try await self.next(after: last, database)
                    for pushed in batch {
                        last = pushed.seq
                        lastFrameAt = .now
                        try await self.emit(pushed, decoder: decoder, timing: &state, output: output)
                        if self.context.shutdown.isRequested { return }
                    }
                } while batch.count == Self.page
                if let idle = self.spec.idleTimeout, ContinuousClock.now - lastFrameAt > .seconds(idle) {
                    self.context.logger.info("push source idle; ending its stream", metadata: ["camera": "\(camera)", "idle_timeout": "\(idle)"])
                    return
                }
            }
        }
    }

    private static let page = 16

    /// Frames stored before the source started are taken back to `backlog` seconds.
    private func firstSequence(_ database: Database) async throws -> Int {
        let rows = try await database.query("""
            SELECT coalesce(max(seq), 0) FROM pushed_frames WHERE camera_id = $1::int4 AND received_at < clock_timestamp() - make_interval(secs => $2::float8)
            """, binding: [.int(camera), .double(spec.backlog)], doing: "finding where the pushed frames of camera \(camera) start")
        return rows.first?.first?.int ?? 0
    }

    private func next(after seq: Int, _ database: Database) async throws -> [Pushed] {
        let rows = try await database.query("""
            SELECT seq, coalesce(captured_at, received_at), jpeg FROM pushed_frames
            WHERE camera_id = $1::int4 AND seq > $2::int8 ORDER BY seq LIMIT \(Self.page)
            """, binding: [.int(camera), .int(seq)], doing: "reading the frames pushed to camera \(camera)")
        return rows.compactMap { row in
            guard let seq = row[0].int, let time = row[1].time, let jpeg = row[2].bytes else { return nil }
            return Pushed(seq: seq, time: time, jpeg: [UInt8](jpeg))
        }
    }

    /// Media time runs from the first frame's time; frames must move forward in time.
    private struct Timing {
        var origin: Date?
        var last: Date?
        var index = 0
        var rejectedLogged = 0
    }

    private func emit(_ pushed: Pushed, decoder: JPEGDecoder, timing: inout Timing, output: StageOutput) async throws {
        if let last = timing.last, pushed.time <= last {
            reject(pushed, "its time \(pushed.time) is not after the previous frame's (\(last))", &timing)
            return
        }
        let picture: JPEGDecoder.Picture
        do {
            picture = try decoder.decode(pushed.jpeg, for: context.frameRequirement)
        } catch {
            reject(pushed, "\(error)", &timing)
            return
        }
        let origin = timing.origin ?? pushed.time
        timing.origin = origin
        timing.last = pushed.time
        let info = FrameInfo(sourceID: context.id, index: timing.index, time: MediaTime(seconds: pushed.time.timeIntervalSince(origin)),
                             captureTime: pushed.time, sourceWidth: picture.width, sourceHeight: picture.height)
        timing.index += 1
        received.increment()
        try await output.send(.frame(AnnotatedFrame(info: info, image: picture.image)))
    }

    private func reject(_ pushed: Pushed, _ why: String, _ timing: inout Timing) {
        rejected.increment()
        // The first few are logged; the counter has them all.
        timing.rejectedLogged += 1
        if timing.rejectedLogged <= 5 {
            context.logger.warning("pushed frame skipped", metadata: ["camera": "\(camera)", "seq": "\(pushed.seq)", "reason": "\(why)"])
        }
    }
}
