import Foundation
import VigilCore

extension FaceRegion {
    /// MediaPipe's region around a face: the box's centre, a square 1.5x its longer side, turned so that the
    /// line from `start` to `end` (the eyes) is level: rotation = -atan2(-(end.y - start.y), end.x - start.x).
    init(around box: BoundingBox, from start: Point2, to end: Point2, scale: Double = 1.5) {
        let angle = -atan2(-(end.y - start.y), end.x - start.x)
        self.init(center: Point2(box.centerX, box.centerY), size: max(box.width, box.height) * scale,
                  rotation: Self.normalized(angle))
    }

    /// From a BlazeFace detection: keypoints 0 (right eye) and 1 (left eye).
    init(detection: FaceDetection) {
        self.init(around: detection.box, from: detection.keypoints[0], to: detection.keypoints[1])
    }

    /// From FaceMesh landmarks, for the next frame: their bounding box, points 33 and 263 (the eyes' outer corners).
    init(landmarks: FaceLandmarks) {
        self.init(around: landmarks.bounds, from: landmarks[33], to: landmarks[263])
    }

    /// The angle in -pi..<pi.
    static func normalized(_ angle: Double) -> Double {
        angle - 2 * .pi * ((angle + .pi) / (2 * .pi)).rounded(.down)
    }
}

/// What the tracker saw on one frame.
struct FaceObservation: Sendable {
    var landmarks: FaceLandmarks
    /// FaceMesh's face-presence score.
    var presence: Double
    /// Whether BlazeFace ran on this frame (first frame, or tracking was lost).
    var detected: Bool
}

/// MediaPipe's face-mesh tracking for one video: BlazeFace finds the face once; each next frame's FaceMesh
/// region comes from the current landmarks; when FaceMesh's face-presence score drops under
/// `minPresence`, BlazeFace runs again — on the same frame (MediaPipe waits for the next one), so a lost
/// track costs no frame. One per source; frames in order.
struct FaceTracker {
    var minDetectionScore: Double
    var minPresence: Double
    /// Where to look on the next frame; `nil` until a face is found and after it is lost.
    private(set) var region: FaceRegion?

    init(minDetectionScore: Double = 0.5, minPresence: Double = 0.5) {
        self.minDetectionScore = minDetectionScore
        self.minPresence = minPresence
    }

    /// Landmarks of the face on `image`, or `nil` when there is none (the track is then lost).
    mutating func track(_ image: FrameImage, detector: FaceDetectorModel,
                        landmarker: FaceLandmarkModel) throws(VigilError) -> FaceObservation? {
        if let region {
            let (landmarks, presence) = try landmarker.landmarks(in: image, region: region)
            if presence >= minPresence { return keep(FaceObservation(landmarks: landmarks, presence: presence, detected: false)) }
            self.region = nil
        }
        guard let best = try detector.detect(in: image, minScore: minDetectionScore).first else { return nil }
        let (landmarks, presence) = try landmarker.landmarks(in: image, region: FaceRegion(detection: best))
        guard presence >= minPresence else { return nil }
        return keep(FaceObservation(landmarks: landmarks, presence: presence, detected: true))
    }

    private mutating func keep(_ observation: FaceObservation) -> FaceObservation {
        region = FaceRegion(landmarks: observation.landmarks)
        return observation
    }

    /// Forgets the face: the next frame starts with the detector.
    mutating func reset() { region = nil }
}
