public import VigilCore
import Foundation
import Synchronization

/// Deterministic track-point frames for store tests and benchmarks.
public enum GeneratedFrames {
    /// `frames` frames per source at `fps`, each with `tracksPerFrame` tracks; NULL-able columns are
    /// filled on some rows and not on others, boxes and scores have full Double precision.
    public static func messages(sources: [String] = ["cam1"], frames: Int, tracksPerFrame: Int, fps: Double = 25,
                                startSeconds: Double = 0) -> [Message] {
        var out: [Message] = []
        out.reserveCapacity(frames * sources.count)
        for index in 0..<frames {
            for (s, source) in sources.enumerated() {
                let time = startSeconds + Double(index) / fps
                var tracks: [TrackPoint] = []
                for t in 0..<tracksPerFrame {
                    let seed = Double(index * 31 + t * 7 + s * 13)
                    let box = BoundingBox(x: 10.123456789 + seed.truncatingRemainder(dividingBy: 1500) / 3,
                                          y: 20.987654321 + Double(t) * 33.3,
                                          width: 40 + Double(t) / 7, height: 90.5 + seed.truncatingRemainder(dividingBy: 17) / 9)
                    tracks.append(TrackPoint(trackID: t + 1, globalID: t % 3 == 0 ? nil : 100 + t, box: box,
                                             score: 0.5 + (seed.truncatingRemainder(dividingBy: 50)) / 101,
                                             classID: t % 2, label: t % 2 == 0 ? "person" : "car\tlabel\\x",
                                             state: .confirmed, age: Double(index) / fps,
                                             mapX: t % 4 == 0 ? nil : seed / 1000, mapY: t % 4 == 0 ? nil : -seed / 3000))
                }
                let info = FrameInfo(sourceID: source, index: index, time: MediaTime(seconds: time),
                                     sourceWidth: 1920, sourceHeight: 1080)
                out.append(.frame(AnnotatedFrame(info: info, image: nil, tracks: tracks)))
            }
        }
        return out
    }
}

extension StageInput {
    /// An input that yields `messages` in order; `beforeEach(i)` runs before message `i` is handed out
    /// (fault injection: stop the server at message 500, ...).
    public static func from(_ messages: [Message], beforeEach: (@Sendable (Int) async throws -> Void)? = nil) -> StageInput {
        let cursor = Atomic<Int>(0)
        let box = MessagesBox(messages)
        return StageInput {
            let i = cursor.add(1, ordering: .relaxed).oldValue
            guard i < box.messages.count else { return nil }
            try await beforeEach?(i)
            return box.messages[i]
        }
    }
}

private final class MessagesBox: Sendable {
    let messages: [Message]
    init(_ messages: [Message]) { self.messages = messages }
}
