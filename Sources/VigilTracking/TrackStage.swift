import VigilCore

/// The running `track` stage: fills ``AnnotatedFrame/tracks`` from ``AnnotatedFrame/detections``.
/// Frames the detector skipped (`detectorRan == false`) only advance the motion model.
final class TrackStage: Stage {
    private let configuration: TrackerConfiguration
    /// One tracker per source, looked up by a linear scan (a handful of cameras per stage).
    private var trackers: [(source: String, tracker: ByteTracker, lastTime: Double)] = []

    init(configuration: TrackerConfiguration) { self.configuration = configuration }

    func run(input: StageInput, output: StageOutput) async throws {
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
