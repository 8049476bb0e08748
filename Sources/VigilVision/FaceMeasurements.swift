import Foundation
import VigilCore

/// The names `kind: face_mesh` writes into `AnnotatedFrame.measurements` (booleans are 1 and 0). Alert rules
/// refer to them by these strings: they are part of Vigil's interface (README.md, "Face measurements").
enum FaceMeasurement {
    static let facePresent = "face_present"
    static let earLeft = "ear_left", earRight = "ear_right", ear = "ear"
    static let mar = "mar"
    static let yaw = "yaw", pitch = "pitch", roll = "roll"
    static let blinks = "blinks"
    static let calibrated = "calibrated"
    static let earBaseline = "ear_baseline", yawNeutral = "yaw_neutral", pitchNeutral = "pitch_neutral"
    static let yawRelative = "yaw_relative", pitchRelative = "pitch_relative"
}

/// FaceMesh point indices and the formulas of the per-frame measurements (image-plane distances, x and y only).
enum FaceGeometry {
    /// p1...p6 of the eye aspect ratio: outer corner, two upper-lid points, inner corner, two lower-lid points.
    static let rightEye = [33, 160, 158, 133, 153, 144]
    static let leftEye = [362, 385, 387, 263, 373, 380]
    /// Inner-lip pairs (upper, lower) and the inner mouth corners.
    static let innerLip = [(82, 87), (13, 14), (312, 317)]
    static let mouthCorners = (78, 308)

    /// EAR = (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|) (Soukupová and Čech, 2016).
    static func eyeAspectRatio(_ l: FaceLandmarks, _ eye: [Int]) -> Double {
        (distance(l[eye[1]], l[eye[5]]) + distance(l[eye[2]], l[eye[4]])) / (2 * distance(l[eye[0]], l[eye[3]]))
    }

    /// MAR = (|82 - 87| + |13 - 14| + |312 - 317|) / (2 |78 - 308|): ~0.1 closed, > 1 wide open.
    static func mouthAspectRatio(_ l: FaceLandmarks) -> Double {
        innerLip.map { distance(l[$0.0], l[$0.1]) }.reduce(0, +) / (2 * distance(l[mouthCorners.0], l[mouthCorners.1]))
    }

    static func distance(_ a: Point2, _ b: Point2) -> Double { ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot() }

    /// solvePnP's six points: nose tip, chin, right-eye outer corner, left-eye outer corner, right and left
    /// mouth corners...
    static let posePoints = [1, 152, 33, 263, 61, 291]
    /// ...and where they sit on a generic face (camera axes: x right, y down, z away from the camera; nose tip
    /// at the origin; millimetre-like units, the classic six-point model).
    static let poseModel: [SIMD3<Double>] = [
        SIMD3(0, 0, 0), SIMD3(0, 330, 65), SIMD3(-225, -170, 135), SIMD3(225, -170, 135),
        SIMD3(-150, 150, 125), SIMD3(150, 150, 125),
    ]

    /// Head pose in degrees from `l` (pixels of a `width` x `height` frame), camera fx = fy = width,
    /// centre (width / 2, height / 2). With the rotation R = Ry(a) Rx(b) Rz(c) from solvePnP:
    /// yaw = -a = -atan2(R13, R33), positive when the face turns toward the image's right (the subject's
    /// left); pitch = -b = asin(R23), positive looking up; roll = c = atan2(R21, R22), positive when the head
    /// tilts clockwise on screen.
    static func headPose(_ l: FaceLandmarks, width: Int, height: Int) throws(VigilError) -> (yaw: Double, pitch: Double, roll: Double) {
        let w = Double(width), h = Double(height)
        let (r, _) = try PoseSolver.solve(model: poseModel, image: posePoints.map { l[$0] },
                                          intrinsics: (fx: w, fy: w, cx: w / 2, cy: h / 2))
        let degrees = 180 / Double.pi
        return (yaw: -atan2(r[2], r[8]) * degrees, pitch: asin(min(1, max(-1, r[5]))) * degrees,
                roll: atan2(r[3], r[4]) * degrees)
    }
}

/// Counts blinks: an eye closure (EAR under the threshold) that reopens (EAR back above 1.1x the threshold,
/// so that noise around the threshold counts once). A closure during which the face is lost is not counted.
struct BlinkCounter: Sendable {
    static let reopenFactor = 1.1
    private(set) var count = 0
    private(set) var closed = false

    mutating func update(ear: Double?, threshold: Double) {
        guard let ear else {
            closed = false
            return
        }
        if closed {
            if ear >= threshold * Self.reopenFactor {
                closed = false
                count += 1
            }
        } else if ear < threshold {
            closed = true
        }
    }
}
