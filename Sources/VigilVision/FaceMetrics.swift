import VigilCore

/// One subject's measurements frame by frame: EAR, MAR and head pose of each frame with a face, the running
/// blink count, and the calibration (``FaceCalibration``) with the values relative to it. The formulas are
/// in ``FaceGeometry`` and the names in ``FaceMeasurement``.
struct FaceMetrics: Sendable {
    /// Eyes count as closed under this EAR until the subject is calibrated...
    let blinkThreshold: Double
    /// ...and under `blinkRatio` x `ear_baseline` once calibrated.
    let blinkRatio: Double
    private var blinks = BlinkCounter()
    private var calibration: FaceCalibration?

    init(blinkThreshold: Double, blinkRatio: Double, calibration: FaceCalibrationSettings?) {
        self.blinkThreshold = blinkThreshold
        self.blinkRatio = blinkRatio
        self.calibration = calibration.map(FaceCalibration.init)
    }

    /// The measurements of one frame; `landmarks` in pixels of a `width` x `height` frame, `nil` without a face.
    mutating func measure(_ landmarks: FaceLandmarks?, time: MediaTime, width: Int, height: Int) -> [String: Double] {
        typealias M = FaceMeasurement
        var out: [String: Double] = [M.facePresent: landmarks == nil ? 0 : 1]
        var sample: (ear: Double, yaw: Double, pitch: Double)?
        if let landmarks {
            let right = FaceGeometry.eyeAspectRatio(landmarks, FaceGeometry.rightEye)
            let left = FaceGeometry.eyeAspectRatio(landmarks, FaceGeometry.leftEye)
            out[M.earRight] = right
            out[M.earLeft] = left
            out[M.ear] = (right + left) / 2
            out[M.mar] = FaceGeometry.mouthAspectRatio(landmarks)
            // solvePnP failing on a degenerate face (points collapsed) leaves the pose out of this frame only.
            if let pose = try? FaceGeometry.headPose(landmarks, width: width, height: height) {
                out[M.yaw] = pose.yaw
                out[M.pitch] = pose.pitch
                out[M.roll] = pose.roll
                sample = ((right + left) / 2, pose.yaw, pose.pitch)
            }
        }
        calibration?.add(time: time, sample: sample)
        let values = calibration?.values
        blinks.update(ear: out[M.ear], threshold: values.map { blinkRatio * $0.earBaseline } ?? blinkThreshold)
        out[M.blinks] = Double(blinks.count)
        out[M.calibrated] = values == nil ? 0 : 1
        if let values {
            out[M.earBaseline] = values.earBaseline
            out[M.yawNeutral] = values.yaw
            out[M.pitchNeutral] = values.pitch
            if let sample {
                out[M.yawRelative] = sample.yaw - values.yaw
                out[M.pitchRelative] = sample.pitch - values.pitch
            }
        }
        return out
    }
}
