import VigilCore

/// `kind: face_mesh`: face landmarks for driver monitoring, on MediaPipe's BlazeFace short-range detector and
/// 468-point FaceMesh (ONNX, through OpenCV DNN; both in the models registry, pinned by SHA-256).
///
/// ```yaml
/// driver:
///   type: detect
///   inputs: [cabin]
///   kind: face_mesh
///   model: face_landmark                        # FaceMesh (registry layout: facemesh)
///   detector_model: face_detection_short_range  # BlazeFace (registry layout: blazeface)
///   emotion_model: emotion_mini_xception        # optional: FER2013 classifier (registry layout: emotion)
///   confidence: 0.5            # detector score to accept a face
///   tracking_confidence: 0.5   # FaceMesh face-presence score under which the detector runs again
///   blink_threshold: 0.21      # EAR under which the eyes count as closed, until calibrated...
///   blink_ratio: 0.7           # ...then under blink_ratio x ear_baseline
///   calibration: {seconds: 10, percentile: 90}   # or given: {ear_baseline: 0.28, yaw: 0, pitch: 0}
///   threads: 2                 # OpenCV threads (process-wide)
/// ```
///
/// Tracking (MediaPipe's scheme): BlazeFace runs on the first frame (letterboxed 128x128); FaceMesh reads a
/// square 1.5x the face, turned so the eye line is level (192x192); every next frame's square comes from the
/// current landmarks (their box, points 33 -> 263 for the angle), and BlazeFace runs again only when the
/// face-presence score drops under `tracking_confidence` — on the same frame. Landmarks are mapped back to
/// source pixels; each frame with a face gets one detection `face` (the landmarks' box, the presence score).
///
/// Measurements (``AnnotatedFrame/measurements``, booleans 1/0; distances in the image plane):
/// - `face_present`: 1 when a face was tracked on the frame, else 0 (then only `blinks` and the calibration
///   values follow).
/// - `ear_right` = (|160-144| + |158-153|) / (2 |33-133|), `ear_left` = (|385-380| + |387-373|) / (2 |362-263|)
///   (eye aspect ratio on FaceMesh points), `ear` = their mean. ~0.26 open, < 0.2 closed.
/// - `mar` = (|82-87| + |13-14| + |312-317|) / (2 |78-308|) (inner lips): ~0.1 closed, > 1 wide open.
/// - `yaw`, `pitch`, `roll` in degrees: solvePnP of points 1, 152, 33, 263, 61, 291 (nose tip, chin, eye and
///   mouth corners) onto a generic six-point face, pinhole camera with fx = fy = frame width and the centre
///   of the frame. R = Ry(a) Rx(b) Rz(c): yaw = -a (> 0 facing the image's right), pitch = -b (> 0 up),
///   roll = c (> 0 tilted clockwise on screen).
/// - `blinks`: running count of eye closures (`ear` under the threshold) that reopened (`ear` back above
///   1.1x the threshold); the threshold is `blink_threshold`, or `blink_ratio` x `ear_baseline` once calibrated.
/// - `calibrated`: 1 once the subject's calibration is known (always 0 without `calibration`); then every frame
///   also carries `ear_baseline`, `yaw_neutral`, `pitch_neutral`, and frames with a face
///   `yaw_relative` = yaw - yaw_neutral and `pitch_relative` = pitch - pitch_neutral.
/// - with `emotion_model`, frames with a face carry `emotion_angry`, `emotion_disgust`, `emotion_fear`,
///   `emotion_happy`, `emotion_sad`, `emotion_surprise`, `emotion_neutral`: the classifier's probabilities on
///   the face (the landmarks' square box and 10 px, turned upright, 64x64 gray). One frame's answer is noisy;
///   average them over time (the aggregate stage's `measurements`).
///
/// Calibration per subject (one per source): `{seconds: N, percentile: P}` collects the first N seconds of
/// media time with a face; `ear_baseline` is the P-th percentile of `ear` over them (open eyes are EAR's upper
/// mode, so a high percentile survives blinks and closed-eye stretches where a mean would not), the neutral
/// yaw and pitch their medians. Given values (`ear_baseline`, optional `yaw` and `pitch`, default 0) apply from
/// the first frame, and win over `seconds`: `{seconds: 10, ear_baseline: ${EAR:-}}` measures only when `EAR` is
/// unset or empty (an empty value counts as absent). Rules can then say `ear < 0.75 * ear_baseline` or `abs(yaw_relative) > 30`.
extension DetectSpec {
    public struct FaceMeshSettings: Sendable {
        public var model = "face_landmark"
        public var detectorModel = "face_detection_short_range"
        public var emotionModel: String?
        public var confidence = 0.5
        public var trackingConfidence = 0.5
        public var blinkThreshold = 0.21
        public var blinkRatio = 0.7
        public var calibration: FaceCalibrationSettings?
    }

    static func readFaceMesh(_ r: ConfigReader) -> FaceMeshSettings {
        var settings = FaceMeshSettings()
        settings.model = r.string("model") ?? settings.model
        settings.detectorModel = r.string("detector_model") ?? settings.detectorModel
        settings.emotionModel = r.string("emotion_model").flatMap { $0.isEmpty ? nil : $0 }
        settings.confidence = r.threshold("confidence") ?? settings.confidence
        settings.trackingConfidence = r.threshold("tracking_confidence") ?? settings.trackingConfidence
        settings.blinkThreshold = r.double("blink_threshold", in: 0.01...1) ?? settings.blinkThreshold
        settings.blinkRatio = r.double("blink_ratio", in: 0.05...1) ?? settings.blinkRatio
        if let c = r.nested("calibration") {
            settings.calibration = readCalibration(c)
            c.finish()
        }
        return settings
    }

    private static func readCalibration(_ c: ConfigReader) -> FaceCalibrationSettings? {
        // An empty value (an unset `${VAR:-}`) counts as absent, so one file serves subjects with and without
        // stored values.
        func given(_ key: String) -> Bool { c.raw(key).map { $0.scalar != "" } ?? false }
        let seconds = c.double("seconds", in: 0.1...86_400)
        let percentile = c.double("percentile", in: 1...100)
        if given("ear_baseline") || given("yaw") || given("pitch") {
            let yaw = given("yaw") ? c.double("yaw", in: -90...90) : nil, pitch = given("pitch") ? c.double("pitch", in: -90...90) : nil
            guard given("ear_baseline") else { c.missing("ear_baseline"); return nil }
            return c.double("ear_baseline", in: 0.05...1).map { .given(FaceCalibrationValues(earBaseline: $0, yaw: yaw ?? 0, pitch: pitch ?? 0)) }
        }
        if !c.has("seconds") { c.error("'calibration' needs 'seconds' (to measure) or 'ear_baseline' (given values)") }
        return seconds.map { .measure(seconds: $0, percentile: percentile ?? 90) }
    }

    /// Both models verified against their pinned hashes and loaded (each runs once on a blank input).
    static func buildFaceMesh(_ settings: FaceMeshSettings, registry: ModelRegistry) throws(VigilError) -> PipelinedFaceMesh {
        let detectorPath = try registry.faceModelPath(for: settings.detectorModel, layout: .blazeface)
        let landmarkPath = try registry.faceModelPath(for: settings.model, layout: .facemesh)
        var emotion: EmotionModel?
        if let id = settings.emotionModel {
            emotion = try EmotionModel(path: try registry.faceModelPath(for: id, layout: .emotion), name: id)
        }
        return PipelinedFaceMesh(detector: try FaceDetectorModel(path: detectorPath, name: settings.detectorModel),
                                 landmarker: try FaceLandmarkModel(path: landmarkPath, name: settings.model),
                                 emotion: emotion, settings: settings)
    }
}
