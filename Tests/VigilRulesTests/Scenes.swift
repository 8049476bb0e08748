import Foundation
import VigilCore
@testable import VigilRules

/// Synthetic scenes with exact truth: frames at a fixed rate, objects with known boxes.
struct Scene {
    var fps = 10.0
    var source = "cam"
    /// Per frame index: the objects on it.
    var objects: [Int: [TrackPoint]] = [:]
    var measurements: [Int: [String: Double]] = [:]
    var frames: Int

    init(seconds: Double, fps: Double = 10) {
        self.fps = fps
        frames = Int((seconds * fps).rounded())
    }

    func time(_ frame: Int) -> Double { Double(frame) / fps }

    /// Object `id` with its foot point at `foot(t)` on every frame whose time is in `range`.
    mutating func walk(_ id: Int, during range: ClosedRange<Double>, label: String = "person", bornAt: Double? = nil,
                       foot: (Double) -> (Double, Double)) {
        for f in 0..<frames where range.contains(time(f)) {
            let t = time(f)
            let (x, y) = foot(t)
            objects[f, default: []].append(TrackPoint(trackID: id, box: BoundingBox(x: x - 10, y: y - 40, width: 20, height: 40),
                                                      score: 0.9, label: label, state: .confirmed,
                                                      age: t - (bornAt ?? range.lowerBound)))
        }
    }

    mutating func measure(_ name: String, during range: ClosedRange<Double>, _ value: (Double) -> Double) {
        for f in 0..<frames where range.contains(time(f)) { measurements[f, default: [:]][name] = value(time(f)) }
    }

    func frame(_ f: Int) -> AnnotatedFrame {
        AnnotatedFrame(info: FrameInfo(sourceID: source, index: f, time: MediaTime(seconds: time(f)), sourceWidth: 640, sourceHeight: 480),
                       image: nil, tracks: objects[f] ?? [], detectorRan: true, measurements: measurements[f] ?? [:])
    }

    /// Every event of an engine run over the scene, finished at the end.
    func run(_ configuration: AlertConfiguration) throws -> [Event] {
        var engine = try AlertEngine(configuration)
        var events: [Event] = []
        for f in 0..<frames {
            var frame = frame(f)
            events += engine.process(&frame).map(\.event)
        }
        return events + engine.finish().map(\.event)
    }
}

/// A square zone from (100, 100) to (200, 200).
let square = ZoneDefinition(id: "square", polygon: Polygon([Point(100, 100), Point(200, 100), Point(200, 200), Point(100, 200)]))

extension Array where Element == Event {
    /// "phase@time" of each event, times rounded to milliseconds.
    var timeline: [String] {
        map { "\($0.kind):\($0.phase?.rawValue ?? "-")@\(String(format: "%.1f", $0.time.seconds))" }
    }
}
