import Logging
import VigilCore

/// The running `detect` stage. Frames flow through in order; for each frame that the gate and interval let
/// through, the detector's first step runs here, inference runs on a dedicated thread, and the last step
/// runs here again. Up to three frames per inference thread are in flight (one inferring, one or two queued
/// behind it), so while frame N is inferred this task decodes frame N-1's outputs, sends it, receives frame
/// N+1 and prepares it, and a late wake-up of this task does not leave the inference thread idle: end-to-end
/// speed approaches inference speed. Slots are handed out in turn, and at most `slotCount - 1` frames wait when a
/// new one is prepared, so a slot is never reused before its frame was collected.
final class DetectStage: Stage {
    private let spec: DetectSpec
    private let detector: any PipelinedDetector
    private let context: StageContext
    /// Per source: frames seen, frames since the detector last ran, media time of the last run, motion model.
    private var sources: [String: SourceState] = [:]

    private struct SourceState {
        var seen = 0
        var sinceRun = Int.max
        var lastRun: MediaTime?
        var motion: MotionDetector?
    }

    private struct InFlight {
        var message: Message
        var slot: Int?
        var ticket: InferenceTicket?
    }

    init(spec: DetectSpec, detector: any PipelinedDetector, context: StageContext) {
        self.spec = spec
        self.detector = detector
        self.context = context
    }

    /// The networks and classic detectors see one frame at a time; a motion model (the gate, `kind: motion`)
    /// and face tracking learn from every frame and cannot be written down. `interval` counts frames.
    var resumeSupport: ResumeSupport {
        switch spec.detector {
        case .motion, .faceMesh: return .replay
        case .dnn, .hog, .cascade, .file: break
        }
        if spec.gate != nil { return .replay }
        return spec.interval > 1 ? .snapshots : .stateless
    }

    /// Per source: frames seen, frames since the detector ran, media time it last ran (`interval` only).
    private struct State: Codable {
        var sources: [String]
        var seen: [Int]
        var sinceRun: [Int]
        var lastRun: [Double?]
    }

    func saveState() throws -> [UInt8] {
        let ids = sources.keys.sorted()
        return try StateCoding.encode(State(sources: ids, seen: ids.map { sources[$0]!.seen },
                                            sinceRun: ids.map { sources[$0]!.sinceRun },
                                            lastRun: ids.map { sources[$0]!.lastRun?.seconds }))
    }

    func resume(at point: ResumePoint) throws {
        guard let bytes = point.states[context.id] else { return }
        let state = try StateCoding.decode(State.self, from: bytes, stage: context.id)
        for (k, source) in state.sources.enumerated() {
            sources[source] = SourceState(seen: state.seen[k], sinceRun: state.sinceRun[k],
                                          lastRun: state.lastRun[k].map { MediaTime(seconds: $0) })
        }
    }

    func run(input: StageInput, output: StageOutput) async throws {
        let workers = (0..<detector.workerCount).map { InferenceThread(name: "vigil.detect.\(context.id).\($0)") }
        defer { workers.forEach { $0.stop() } }
        // Frames in flight: every slot busy at most once (see `drain`).
        let depth = max(1, detector.slotCount)
        var inFlight: [InFlight] = []
        var nextSlot = 0
        var runs = 0, skipped = 0

        for try await message in input {
            guard case .frame(let frame) = message else {
                inFlight.append(InFlight(message: message))
                try await drain(&inFlight, keep: 0, output: output)
                continue
            }
            if try shouldRun(frame) {
                if detector.needsPixels && frame.image == nil {
                    throw VigilError(.stageFailed, "frame \(frame.info.index) of '\(frame.info.sourceID)' carries no pixels",
                                     subject: context.id)
                }
                let slot = nextSlot
                nextSlot = (nextSlot + 1) % detector.slotCount
                try detector.prepare(frame, slot: slot)
                let detector = self.detector
                let ticket = workers[slot % workers.count].submit { () throws(VigilError) in try detector.infer(slot: slot) }
                inFlight.append(InFlight(message: message, slot: slot, ticket: ticket))
                runs += 1
            } else {
                inFlight.append(InFlight(message: message))
                skipped += 1
            }
            try await drain(&inFlight, keep: depth - 1, output: output)
        }
        try await drain(&inFlight, keep: 0, output: output)
        context.logger.debug("detect finished", metadata: ["stage.id": "\(context.id)", "detect.runs": "\(runs)",
                                                           "detect.skipped": "\(skipped)"])
    }

    /// Completes and sends the oldest messages until at most `keep` are left in flight.
    private func drain(_ inFlight: inout [InFlight], keep: Int, output: StageOutput) async throws {
        while inFlight.count > keep {
            let item = inFlight.removeFirst()
            guard case .frame(var frame) = item.message, let slot = item.slot, let ticket = item.ticket else {
                try await output.send(item.message)
                continue
            }
            try await ticket.wait()
            let found = try detector.collectOutput(slot: slot, frame: frame)
            frame.detections += found.detections
            frame.measurements.merge(found.measurements) { _, new in new }
            frame.detectorRan = true
            try await output.send(.frame(frame))
        }
    }

    /// The interval and motion gate decide whether the detector runs on this frame.
    private func shouldRun(_ frame: AnnotatedFrame) throws(VigilError) -> Bool {
        var state = sources[frame.info.sourceID] ?? SourceState()
        defer { sources[frame.info.sourceID] = state }
        state.seen += 1
        let due = (state.seen - 1) % spec.interval == 0
        var run = due
        if let gate = spec.gate, let image = frame.image {
            // The background model sees every frame, whether or not the detector is due on it.
            let motion = state.motion ?? MotionDetector(gate.motion)
            state.motion = motion
            let moving = try !motion.detect(in: image, scale: frame.imageToSourceScale).isEmpty
            let overdueFrames = gate.maxIntervalFrames.map { state.sinceRun >= $0 } ?? false
            let overdueTime = gate.maxIntervalSeconds.map { seconds in
                state.lastRun.map { frame.info.time - $0 >= seconds } ?? true
            } ?? false
            run = due && (moving || overdueFrames || overdueTime || state.lastRun == nil)
        }
        if run {
            state.sinceRun = 1
            state.lastRun = frame.info.time
        } else {
            state.sinceRun = state.sinceRun == .max ? .max : state.sinceRun + 1
        }
        return run
    }
}
