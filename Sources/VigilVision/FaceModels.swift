internal import CVigilOpenCV
public import VigilCore

/// A point in image pixels.
typealias Point2 = SIMD2<Double>

/// A square region of an image, turned about its centre by `rotation` radians (positive: clockwise on
/// screen, y pointing down), from which FaceMesh reads its 192x192 input.
struct FaceRegion: Hashable, Sendable {
    var center: Point2
    var size: Double
    var rotation: Double
}

/// A face found by BlazeFace, in image pixels.
struct FaceDetection: Sendable {
    var box: BoundingBox
    var score: Double
    /// The subject's right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
    var keypoints: [Point2]
}

/// FaceMesh's 468 points in image pixels; `z` is depth relative to the face, in the same pixels.
struct FaceLandmarks: Sendable {
    static let count = Int(VCV_FACE_LANDMARK_COUNT)
    /// (x, y, z) triples.
    var values: [Float]

    subscript(index: Int) -> Point2 { Point2(Double(values[3 * index]), Double(values[3 * index + 1])) }

    /// The axis-aligned box around every point.
    var bounds: BoundingBox {
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for i in 0..<Self.count {
            let p = self[i]
            minX = min(minX, p.x); maxX = max(maxX, p.x); minY = min(minY, p.y); maxY = max(maxY, p.y)
        }
        return BoundingBox(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }

    /// The points multiplied by `scale` (image to source pixels; z follows x).
    func scaled(_ scale: (x: Double, y: Double)) -> FaceLandmarks {
        guard scale != (1, 1) else { return self }
        var out = values
        for i in 0..<Self.count {
            out[3 * i] *= Float(scale.x); out[3 * i + 1] *= Float(scale.y); out[3 * i + 2] *= Float(scale.x)
        }
        return FaceLandmarks(values: out)
    }
}

/// BlazeFace short-range through the bridge. Owns its handle; one call at a time.
final class FaceDetectorModel: @unchecked Sendable {
    private let handle: OpaquePointer
    let name: String

    init(path: String, name: String) throws(VigilError) {
        self.name = name
        var created: OpaquePointer?
        try opencvCall("loading face detector '\(name)' (\(path))", subject: name) { error in
            vcv_face_detector_create(path, &created, error)
        }
        guard let created else { throw VigilError(.model, "loading face detector returned nothing", subject: name) }
        handle = created
    }

    deinit { vcv_face_detector_destroy(handle) }

    /// Faces on the whole image, best first.
    func detect(in image: FrameImage, minScore: Double, nmsThreshold: Double = 0.3) throws(VigilError) -> [FaceDetection] {
        var faces: UnsafePointer<vcv_face_detection>?
        var count: Int32 = 0
        try opencvCall("face detection", subject: name, code: .stageFailed) { error in
            withBridgeImage(image) { vcv_face_detector_detect(handle, $0, Float(minScore), Float(nmsThreshold), &faces, &count, error) }
        }
        guard let faces, count > 0 else { return [] }
        return UnsafeBufferPointer(start: faces, count: Int(count)).map { face in
            let keypoints = withUnsafeBytes(of: face.keypoints) { raw in
                let k = raw.bindMemory(to: Float.self)
                return (0..<6).map { Point2(Double(k[2 * $0]), Double(k[2 * $0 + 1])) }
            }
            return FaceDetection(box: BoundingBox(x: Double(face.x), y: Double(face.y), width: Double(face.width),
                                                  height: Double(face.height)),
                                 score: Double(face.score), keypoints: keypoints)
        }
    }
}

/// FaceMesh through the bridge. Owns its handle; one call at a time.
final class FaceLandmarkModel: @unchecked Sendable {
    private let handle: OpaquePointer
    let name: String

    init(path: String, name: String) throws(VigilError) {
        self.name = name
        var created: OpaquePointer?
        try opencvCall("loading face landmark model '\(name)' (\(path))", subject: name) { error in
            vcv_face_landmarker_create(path, &created, error)
        }
        guard let created else { throw VigilError(.model, "loading face landmark model returned nothing", subject: name) }
        handle = created
    }

    deinit { vcv_face_landmarker_destroy(handle) }

    /// The 468 points of the face in `region` (image pixels) and the model's face-presence score in 0...1.
    func landmarks(in image: FrameImage, region: FaceRegion) throws(VigilError) -> (FaceLandmarks, presence: Double) {
        var values = [Float](repeating: 0, count: FaceLandmarks.count * 3)
        var presence: Float = 0
        var bridgeRegion = vcv_face_region(center_x: Float(region.center.x), center_y: Float(region.center.y),
                                           size: Float(region.size), rotation: Float(region.rotation))
        try opencvCall("face landmarks", subject: name, code: .stageFailed) { error in
            values.withUnsafeMutableBufferPointer { out in
                withBridgeImage(image) { vcv_face_landmarker_run(handle, $0, &bridgeRegion, out.baseAddress!, &presence, error) }
            }
        }
        return (FaceLandmarks(values: values), Double(presence))
    }
}

/// Rigid pose from 2D-3D correspondences (OpenCV's iterative solvePnP).
enum PoseSolver {
    /// Rotation (row-major 3x3) and translation taking `model` points to the camera frame of a pinhole camera
    /// (fx, fy, cx, cy) without distortion.
    static func solve(model: [SIMD3<Double>], image: [Point2],
                      intrinsics: (fx: Double, fy: Double, cx: Double, cy: Double)) throws(VigilError)
        -> (rotation: [Double], translation: SIMD3<Double>) {
        precondition(model.count == image.count)
        let object = model.flatMap { [$0.x, $0.y, $0.z] }
        let projected = image.flatMap { [$0.x, $0.y] }
        let camera = [intrinsics.fx, intrinsics.fy, intrinsics.cx, intrinsics.cy]
        var rotation = [Double](repeating: 0, count: 9)
        var translation = [Double](repeating: 0, count: 3)
        try opencvCall("solvePnP", subject: nil, code: .stageFailed) { error in
            rotation.withUnsafeMutableBufferPointer { r in
                translation.withUnsafeMutableBufferPointer { t in
                    vcv_solve_pnp(object, projected, Int32(model.count), camera, r.baseAddress!, t.baseAddress!, error)
                }
            }
        }
        return (rotation, SIMD3(translation[0], translation[1], translation[2]))
    }
}

extension ModelRegistry {
    /// Checks a face model (layout blazeface, facemesh or emotion) as `kind: face_mesh` would: pinned hashes, then
    /// OpenCV loads it and its outputs have the expected shapes on a blank input.
    public func verifyFaceModel(_ id: String) throws(VigilError) {
        let entry = try entry(id)
        switch entry.layout {
        case .blazeface: _ = try FaceDetectorModel(path: faceModelPath(for: id, layout: .blazeface), name: id)
        case .facemesh: _ = try FaceLandmarkModel(path: faceModelPath(for: id, layout: .facemesh), name: id)
        case .emotion: _ = try EmotionModel(path: faceModelPath(for: id, layout: .emotion), name: id)
        default: throw VigilError(.model, "model '\(id)' is not a face model (layout \(entry.layout.rawValue))", subject: id)
        }
    }
}

/// The FER2013 mini-XCEPTION emotion classifier through the bridge. Owns its handle; one call at a time.
final class EmotionModel: @unchecked Sendable {
    /// The classes, in the model's output order; measurements are `emotion_<class>`.
    static let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    private let handle: OpaquePointer
    let name: String

    init(path: String, name: String) throws(VigilError) {
        self.name = name
        var created: OpaquePointer?
        try opencvCall("loading emotion model '\(name)' (\(path))", subject: name) { error in
            vcv_emotion_classifier_create(path, &created, error)
        }
        guard let created else { throw VigilError(.model, "loading emotion model returned nothing", subject: name) }
        handle = created
    }

    deinit { vcv_emotion_classifier_destroy(handle) }

    /// The class probabilities of the face in `region` (image pixels), in ``classes`` order.
    func probabilities(in image: FrameImage, region: FaceRegion) throws(VigilError) -> [Double] {
        var values = [Float](repeating: 0, count: Self.classes.count)
        var bridgeRegion = vcv_face_region(center_x: Float(region.center.x), center_y: Float(region.center.y),
                                           size: Float(region.size), rotation: Float(region.rotation))
        try opencvCall("emotion", subject: name, code: .stageFailed) { error in
            values.withUnsafeMutableBufferPointer { out in
                withBridgeImage(image) { vcv_emotion_classifier_run(handle, $0, &bridgeRegion, out.baseAddress!, error) }
            }
        }
        return values.map(Double.init)
    }

    /// The square the classifier reads: the landmarks' box plus a margin of `margin` pixels on each side,
    /// as FER2013's crops (the face box and 10 px), turned upright with the eye line.
    static func region(of landmarks: FaceLandmarks, margin: Double = 10) -> FaceRegion {
        let box = landmarks.bounds
        let upright = FaceRegion(landmarks: landmarks)
        return FaceRegion(center: Point2(box.x + box.width / 2, box.y + box.height / 2), size: max(box.width, box.height) + 2 * margin,
                          rotation: upright.rotation)
    }
}
