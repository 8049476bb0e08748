public import VigilCore

/// `type: track` — ByteTrack-family multi-object tracking, one tracker per source.
///
/// ```yaml
/// track:
///   type: track
///   inputs: [detect]
///   high_threshold: 0.6        # first-stage detections
///   low_threshold: 0.1         # second stage keeps tracks alive through occlusion
///   new_track_threshold: 0.7
///   match_iou: 0.2
///   min_hits: 2
///   max_age_seconds: 2s
///   classes: [person]          # default: every class
/// ```
public struct TrackSpec: StageSpec {
    public static let typeName = "track"
    public static let role = StageRole.transform
    public static let summary = "follow detections over time: ids, boxes, velocities (ByteTrack family)"

    public var configuration: TrackerConfiguration

    public init(config: ConfigReader) {
        configuration = TrackerConfiguration(reading: config)
        config.finish()
    }

    public init(configuration: TrackerConfiguration) { self.configuration = configuration }

    public var inputPorts: Set<PortType> { [.frames] }
    public var outputPort: PortType? { .frames }

    public func makeStage(context: StageContext) async throws -> any Stage {
        TrackStage(configuration: configuration)
    }
}

/// The running `track` stage: fills ``AnnotatedFrame/tracks`` from ``AnnotatedFrame/detections``.
/// Frames the detector skipped (`detectorRan == false`) only advance the motion model.
public final class TrackStage: Stage {
    private let configuration: TrackerConfiguration
    /// One tracker per source, looked up by a linear scan (a handful of cameras per stage).
    private var trackers: [(source: String, tracker: ByteTracker, lastTime: Double)] = []

    public init(configuration: TrackerConfiguration) { self.configuration = configuration }

    public func run(input: StageInput, output: StageOutput) async throws {
        var points: [TrackPoint] = []
        for try await message in input {
            guard case .frame(var frame) = message else {
                try await output.send(message)
                continue
            }
            let slot = trackerSlot(for: frame.info.sourceID)
            let time = frame.info.time.seconds
            // A timeline that jumps back (a looped file, a restarted stream) starts over.
            if time < trackers[slot].lastTime { trackers[slot].tracker.reset(restartingIDs: false) }
            trackers[slot].lastTime = time
            if frame.detectorRan {
                trackers[slot].tracker.update(detections: frame.detections, at: time, into: &points)
            } else {
                trackers[slot].tracker.predict(at: time, into: &points)
            }
            frame.tracks = points
            try await output.send(.frame(frame))
        }
    }

    private func trackerSlot(for source: String) -> Int {
        if let i = trackers.firstIndex(where: { $0.source == source }) { return i }
        trackers.append((source, ByteTracker(configuration: configuration), -.infinity))
        return trackers.count - 1
    }
}
