import Synchronization
import VigilCore

/// `kind: face_mesh` in the detect stage. Each frame's FaceMesh region comes from the previous frame's
/// landmarks, so the frames of one source cannot overlap: all tracking (BlazeFace when needed, FaceMesh)
/// runs in ``infer(slot:)`` on the one inference thread, in frame order. The stage's task receives and
/// prepares the next frames meanwhile, and ``collectOutput(slot:frame:)`` computes the measurements (EAR, MAR,
/// solvePnP, blinks, calibration) there, off the inference thread.
final class PipelinedFaceMesh: PipelinedDetector {
    private let detector: FaceDetectorModel
    private let landmarker: FaceLandmarkModel
    private let emotion: EmotionModel?
    private let settings: DetectSpec.FaceMeshSettings

    private struct Job {
        var image: FrameImage
        var source: String
        var observation: FaceObservation?
        var emotions: [Double]?
    }

    private let jobs = Mutex<[Int: Job]>([:])
    /// Per source; used by `infer` only (one thread, frames in order).
    private let trackers = Mutex<[String: FaceTracker]>([:])
    /// Per source; used by `collectOutput` only (the stage's task, frames in order).
    private let metrics = Mutex<[String: FaceMetrics]>([:])

    init(detector: FaceDetectorModel, landmarker: FaceLandmarkModel, emotion: EmotionModel? = nil, settings: DetectSpec.FaceMeshSettings) {
        self.detector = detector
        self.landmarker = landmarker
        self.emotion = emotion
        self.settings = settings
    }

    var slotCount: Int { 3 }
    var needsPixels: Bool { true }

    func prepare(_ frame: AnnotatedFrame, slot: Int) throws(VigilError) {
        let job = Job(image: frame.image!, source: frame.info.sourceID)
        jobs.withLock { $0[slot] = job }
    }

    func infer(slot: Int) throws(VigilError) {
        guard let job = jobs.withLock({ $0[slot] }) else { return }
        var tracker = trackers.withLock { $0[job.source] }
            ?? FaceTracker(minDetectionScore: settings.confidence, minPresence: settings.trackingConfidence)
        let observation = try tracker.track(job.image, detector: detector, landmarker: landmarker)
        trackers.withLock { $0[job.source] = tracker }
        var emotions: [Double]?
        if let emotion, let observation {
            emotions = try emotion.probabilities(in: job.image, region: EmotionModel.region(of: observation.landmarks))
        }
        jobs.withLock { $0[slot]?.observation = observation; $0[slot]?.emotions = emotions }
    }

    func collect(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> [Detection] {
        try collectOutput(slot: slot, frame: frame).detections
    }

    /// One `face` detection (the landmarks' box, FaceMesh's presence score) and the frame's measurements,
    /// all in source pixels.
    func collectOutput(slot: Int, frame: AnnotatedFrame) throws(VigilError) -> DetectorOutput {
        let job = jobs.withLock { $0.removeValue(forKey: slot) }
        let observation = job?.observation
        let landmarks = observation?.landmarks.scaled(frame.imageToSourceScale)
        let source = frame.info.sourceID
        var state = metrics.withLock { $0[source] }
            ?? FaceMetrics(blinkThreshold: settings.blinkThreshold, blinkRatio: settings.blinkRatio,
                           calibration: settings.calibration)
        var measurements = state.measure(landmarks, time: frame.info.time, width: frame.info.sourceWidth,
                                             height: frame.info.sourceHeight)
        for (name, p) in zip(EmotionModel.classes, job?.emotions ?? []) { measurements["emotion_" + name] = p }
        metrics.withLock { $0[source] = state }
        guard let landmarks, let observation else { return DetectorOutput(detections: [], measurements: measurements) }
        return DetectorOutput(detections: [Detection(box: landmarks.bounds, score: observation.presence, label: "face")],
                              measurements: measurements)
    }
}
