import VigilCore

/// The running `track` stage: fills ``AnnotatedFrame/tracks`` from ``AnnotatedFrame/detections``.
/// Frames the detector skipped (`detectorRan == false`) only advance the motion model.
final class TrackStage: Stage {
    private let configuration: TrackerConfiguration
    private let id: String
    /// One tracker per source, looked up by a linear scan (a handful of cameras per stage).
    private var trackers: [Slot] = []

    private struct Slot {
        var source: String
        var tracker: ByteTracker
        var lastTime: Double
    }

    /// A checkpoint of the stage: every source's tracker.
    private struct State: Codable {
        var sources: [String]
        var trackers: [ByteTracker.State]
        var lastTimes: [Double]
    }

    init(configuration: TrackerConfiguration, id: String = "track") {
        self.configuration = configuration
        self.id = id
    }

    var resumeSupport: ResumeSupport { .snapshots }

    func saveState() throws -> [UInt8] {
        try StateCoding.encode(State(sources: trackers.map(\.source), trackers: trackers.map(\.tracker.state),
                                     lastTimes: trackers.map(\.lastTime)))
    }

    func resume(at point: ResumePoint) throws {
        guard let bytes = point.states[id] else { return }
        let state = try StateCoding.decode(State.self, from: bytes, stage: id)
        trackers = state.sources.indices.map { k in
            Slot(source: state.sources[k], tracker: ByteTracker(configuration: configuration, state: state.trackers[k]),
                 lastTime: state.lastTimes[k])
        }
    }

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
        trackers.append(Slot(source: source, tracker: ByteTracker(configuration: configuration), lastTime: -.infinity))
        return trackers.count - 1
    }
}
