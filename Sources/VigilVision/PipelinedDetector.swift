import Synchronization
import VigilCore

/// What the detect stage drives: a detector split into a step on the stage's task before inference, the
/// inference itself (on the inference thread) and a step after it. Each slot is used by one step at a time,
/// and the stage never has more than ``slotCount`` frames in flight.
protocol PipelinedDetector: AnyObject, Sendable {
    var slotCount: Int { get }
    /// Inference threads; slot `s` is inferred on thread `s % workerCount`.
    var workerCount: Int { get }
    /// Whether frames must carry pixels.
    var needsPixels: Bool { get }
    func prepare(_ frame: AnnotatedFrame, slot: Int) throws(VigilError)
    func infer(slot: Int) throws(VigilError)
    /// Detections in source pixels.
    func collect(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> [Detection]
    /// Detections and per-frame measurements; what the stage calls. By default ``collect(slot:frame:)``
    /// without measurements.
    func collectOutput(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> DetectorOutput
}

/// What a detector found on one frame.
struct DetectorOutput {
    var detections: [Detection]
    /// By name, for ``AnnotatedFrame/measurements`` (the face detector's `ear`, `yaw`, ...).
    var measurements: [String: Double] = [:]
}

extension PipelinedDetector {
    var workerCount: Int { 1 }
    func collectOutput(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> DetectorOutput {
        DetectorOutput(detections: try collect(slot: slot, frame: frame))
    }
}

/// The DNN detector splits naturally: resize and blob on the stage, forward on the thread, decode on the stage.
/// With several replicas (`streams`), each network infers on its own thread, frames handed out in turn.
final class PipelinedDNN: PipelinedDetector {
    let replicas: [DNNDetector]
    init(_ replicas: [DNNDetector]) { self.replicas = replicas }
    var slotCount: Int { replicas.count * replicas[0].slotCount }
    var workerCount: Int { replicas.count }
    var needsPixels: Bool { true }
    private func route(_ slot: Int) -> (DNNDetector, Int) { (replicas[slot % replicas.count], slot / replicas.count) }
    func prepare(_ frame: AnnotatedFrame, slot: Int) throws(VigilError) {
        let (detector, local) = route(slot)
        try detector.prepare(frame.image!, slot: local)
    }
    func infer(slot: Int) throws(VigilError) {
        let (detector, local) = route(slot)
        try detector.forward(slot: local)
    }
    func collect(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> [Detection] {
        let (detector, local) = route(slot)
        return try detector.decode(slot: local, scale: frame.imageToSourceScale)
    }
}

/// Detectors that run in one piece (HOG, cascades): the whole detection runs on the inference thread.
final class PipelinedWhole: PipelinedDetector {
    private let detect: @Sendable (FrameImage, (x: Double, y: Double)) throws(VigilError) -> [Detection]
    private let slots: Mutex<[Int: (image: FrameImage, scale: (x: Double, y: Double), result: [Detection])]> = Mutex([:])

    init(_ detect: @escaping @Sendable (FrameImage, (x: Double, y: Double)) throws(VigilError) -> [Detection]) {
        self.detect = detect
    }

    var slotCount: Int { 2 }
    var needsPixels: Bool { true }

    func prepare(_ frame: AnnotatedFrame, slot: Int) throws(VigilError) {
        let image = frame.image!
        let scale = frame.imageToSourceScale
        slots.withLock { $0[slot] = (image, scale, []) }
    }

    func infer(slot: Int) throws(VigilError) {
        guard let job = slots.withLock({ $0[slot] }) else { return }
        let found = try detect(job.image, job.scale)
        slots.withLock { $0[slot]?.result = found }
    }

    func collect(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> [Detection] {
        slots.withLock { $0.removeValue(forKey: slot)?.result ?? [] }
    }
}

/// Detections from a MOT-Challenge file (see `MOTChallenge`), looked up by 0-based frame index; needs no
/// pixels and no thread. Each source's file is read once, on its first frame.
final class PipelinedFile: PipelinedDetector {
    private let files: Mutex<[String: [[Detection]]]>
    private let load: @Sendable (String) throws(VigilError) -> [[Detection]]

    init(load: @escaping @Sendable (String) throws(VigilError) -> [[Detection]]) {
        self.load = load
        self.files = Mutex([:])
    }

    var slotCount: Int { 2 }
    var needsPixels: Bool { false }
    func prepare(_ frame: AnnotatedFrame, slot: Int) throws(VigilError) {}
    func infer(slot: Int) throws(VigilError) {}

    func collect(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> [Detection] {
        let source = frame.info.sourceID
        let perFrame: [[Detection]]
        if let loaded = files.withLock({ $0[source] }) { perFrame = loaded } else {
            perFrame = try load(source)
            files.withLock { $0[source] = perFrame }
        }
        let index = frame.info.index
        return perFrame.indices.contains(index) ? perFrame[index] : []
    }
}

/// Motion as the detector: one background model per source, run on the inference thread.
final class PipelinedMotion: PipelinedDetector {
    private let configuration: MotionConfiguration
    private let models = Mutex<[String: MotionDetector]>([:])

    init(_ configuration: MotionConfiguration) { self.configuration = configuration }

    var slotCount: Int { 2 }
    var needsPixels: Bool { true }

    private let pending = Mutex<[Int: (frame: AnnotatedFrame, result: [Detection])]>([:])

    func prepare(_ frame: AnnotatedFrame, slot: Int) throws(VigilError) {
        pending.withLock { $0[slot] = (frame, []) }
    }

    func infer(slot: Int) throws(VigilError) {
        guard let frame = pending.withLock({ $0[slot]?.frame }), let image = frame.image else { return }
        let detector = models.withLock { models in
            if let existing = models[frame.info.sourceID] { return existing }
            let created = MotionDetector(configuration)
            models[frame.info.sourceID] = created
            return created
        }
        let found = try detector.detect(in: image, scale: frame.imageToSourceScale)
        pending.withLock { $0[slot]?.result = found }
    }

    func collect(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> [Detection] {
        pending.withLock { $0.removeValue(forKey: slot)?.result ?? [] }
    }
}
