import Foundation
import Testing
import VigilConfig
import VigilCore
@testable import VigilVision

@Suite("face mesh: settings, models, geometry")
struct FaceMeshSpecTests {
    static func diagnostics(_ yaml: String) throws -> [String] {
        let sink = DiagnosticSink()
        _ = DetectSpec(config: ConfigReader(try ConfigFile.parse(yaml, file: "f.yaml"), diagnostics: sink))
        return sink.diagnostics.map(\.description)
    }

    @Test("every key is read, with defaults; mistakes are reported with positions")
    func settings() throws {
        let spec = try TestSupport.spec("""
            kind: face_mesh
            confidence: 0.6
            tracking_confidence: 0.4
            blink_threshold: 0.2
            blink_ratio: 0.8
            calibration: {seconds: 10, percentile: 95}
            """)
        guard case .faceMesh(let s) = spec.detector else { Issue.record("not face_mesh"); return }
        #expect(s.model == "face_landmark" && s.detectorModel == "face_detection_short_range")
        #expect(s.confidence == 0.6 && s.trackingConfidence == 0.4 && s.blinkThreshold == 0.2 && s.blinkRatio == 0.8)
        #expect(s.calibration == .measure(seconds: 10, percentile: 95))
        #expect(spec.frameRequirement?.pixelFormat == .bgr24)

        let given = try TestSupport.spec("kind: face_mesh\ncalibration: {ear_baseline: 0.3}\n")
        guard case .faceMesh(let g) = given.detector else { Issue.record("not face_mesh"); return }
        #expect(g.calibration == .given(FaceCalibrationValues(earBaseline: 0.3, yaw: 0, pitch: 0)))

        // Given values win over a measurement; an empty one (an unset `${VAR:-}`) is absent.
        let both = try TestSupport.spec("kind: face_mesh\ncalibration: {seconds: 10, ear_baseline: 0.28, yaw: -4}\n")
        guard case .faceMesh(let b) = both.detector else { Issue.record("not face_mesh"); return }
        #expect(b.calibration == .given(FaceCalibrationValues(earBaseline: 0.28, yaw: -4, pitch: 0)))
        let unset = try TestSupport.spec("kind: face_mesh\ncalibration: {seconds: 10, ear_baseline: \"\", yaw: \"\"}\n")
        guard case .faceMesh(let u) = unset.detector else { Issue.record("not face_mesh"); return }
        #expect(u.calibration == .measure(seconds: 10, percentile: 90))

        let text = try Self.diagnostics("""
            kind: face_mesh
            tracking_confidnce: 0.5
            blink_ratio: 3
            calibration: {seconds: 10, ear_baseline: 1.3}
            gate: motion
            """)
        #expect(text.contains { $0.hasPrefix("f.yaml:2:1:") && $0.contains("did you mean 'tracking_confidence'") })
        #expect(text.contains { $0.hasPrefix("f.yaml:3:14:") && $0.contains("'blink_ratio'") })
        #expect(text.contains { $0.hasPrefix("f.yaml:4:") && $0.contains("'ear_baseline'") })
        #expect(text.contains { $0.contains("'gate: motion' only applies to dnn, hog and cascade") })
        let calibration = try Self.diagnostics("kind: face_mesh\ncalibration: {percentile: 90, secnods: 3}\n")
        #expect(calibration.contains { $0.contains("unknown key 'secnods'; did you mean 'seconds'?") })
        #expect(calibration.contains { $0.contains("needs 'seconds'") })
        #expect(try Self.diagnostics("kind: face_mesh\ncalibration: {yaw: 3}\n").contains { $0.contains("missing required key 'ear_baseline'") })
    }

    // MARK: Models

    /// A models folder holding the two face models under `models.yaml` text made by `manifest`, which gets
    /// the detector's and the landmark model's SHA-256.
    static func modelsFolder(_ name: String, files: [String: String]? = nil,
                             manifest: (_ detectorHash: String, _ landmarkHash: String) -> String) throws -> String {
        let directory = NSTemporaryDirectory() + "vigil-face-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let source = TestSupport.modelsDirectory
        let copies = files ?? ["detector.onnx": "face_detection_short_range.onnx", "landmark.onnx": "face_landmark.onnx"]
        for (target, original) in copies {
            try FileManager.default.copyItem(atPath: source + "/" + original, toPath: directory + "/" + target)
        }
        let hash = { (file: String) in (try? OpenCVRuntime.sha256(ofFile: directory + "/" + file)) ?? String(repeating: "0", count: 64) }
        try manifest(hash("detector.onnx"), hash("landmark.onnx"))
            .write(toFile: directory + "/models.yaml", atomically: true, encoding: .utf8)
        return directory
    }

    static func manifest(detector: String, landmark: String, detectorFile: String = "detector.onnx",
                         landmarkFile: String = "landmark.onnx", detectorLayout: String = "blazeface") -> String {
        """
        models:
          face_detection_short_range:
            format: onnx
            layout: \(detectorLayout)
            weights: \(detectorFile)
            input_size: 128
            sha256: {\(detectorFile): \(detector)}
          face_landmark:
            format: onnx
            layout: facemesh
            weights: \(landmarkFile)
            input_size: 192
            sha256: {\(landmarkFile): \(landmark)}
        """
    }

    static func preflight(_ directory: String, _ yaml: String = "kind: face_mesh\n") async throws -> VigilError? {
        var spec = try TestSupport.spec(yaml)
        spec.modelsDirectory = directory
        do {
            try await spec.preflight(context: TestSupport.context())
            return nil
        } catch let error as VigilError {
            return error
        }
    }

    @Test("the registry knows both face models; preflight loads them")
    func fetchedModels() async throws {
        let registry = try TestSupport.registry()
        #expect(try registry.entry("face_detection_short_range").layout == .blazeface)
        #expect(try registry.entry("face_landmark").layout == .facemesh)
        try registry.verifyFaceModel("face_detection_short_range")
        try registry.verifyFaceModel("face_landmark")
        let notYOLO = #expect(throws: VigilError.self) { try registry.configuration(for: "face_landmark") }
        #expect(notYOLO?.message.contains("kind: face_mesh") == true)
        try await TestSupport.spec("kind: face_mesh\n").preflight(context: TestSupport.context())
    }

    @Test("missing, damaged, swapped, foreign and unparsable models fail preflight with a clear error")
    func badModels() async throws {
        // Missing file.
        let missing = try Self.modelsFolder("missing", files: ["detector.onnx": "face_detection_short_range.onnx"]) { detector, _ in
            Self.manifest(detector: detector, landmark: String(repeating: "a", count: 64))
        }
        defer { try? FileManager.default.removeItem(atPath: missing) }
        let e1 = try #require(try await Self.preflight(missing))
        #expect(e1.code == .model && e1.message.contains("'landmark.onnx' is missing") && e1.message.contains("scripts/fetch-models"))

        // Damaged: the pinned hash is not the file's.
        let damaged = try Self.modelsFolder("damaged") { detector, _ in
            Self.manifest(detector: detector, landmark: String(repeating: "b", count: 64))
        }
        defer { try? FileManager.default.removeItem(atPath: damaged) }
        let e2 = try #require(try await Self.preflight(damaged))
        #expect(e2.message.contains("has SHA-256") && e2.message.contains("damaged or not the expected model"))

        // The wrong model under a correct hash: the bridge runs each model once and checks its outputs.
        let swapped = try Self.modelsFolder("swapped") { detector, landmark in
            Self.manifest(detector: landmark, landmark: detector, detectorFile: "landmark.onnx", landmarkFile: "detector.onnx")
        }
        defer { try? FileManager.default.removeItem(atPath: swapped) }
        let e3 = try #require(try await Self.preflight(swapped))
        #expect(e3.code == .model && e3.subject == "face_detection_short_range"
                && e3.message.contains("not a BlazeFace short-range model"), "\(e3)")
        let twice = try Self.modelsFolder("twice") { detector, _ in
            Self.manifest(detector: detector, landmark: detector, landmarkFile: "detector.onnx")
        }
        defer { try? FileManager.default.removeItem(atPath: twice) }
        let e3b = try #require(try await Self.preflight(twice))
        #expect(e3b.code == .model && e3b.subject == "face_landmark" && e3b.message.contains("not a FaceMesh model"), "\(e3b)")

        // A YOLO model named where a face model is needed.
        let e4 = try #require(try await Self.preflight(TestSupport.modelsDirectory, "kind: face_mesh\nmodel: yolo-fastest-1.1_body\n"))
        #expect(e4.message.contains("has layout darknet") && e4.message.contains("facemesh model is needed"))
        let e5 = try #require(try await Self.preflight(TestSupport.modelsDirectory, "kind: face_mesh\nmodel: face_landmarks\n"))
        #expect(e5.message.contains("unknown model 'face_landmarks'") && e5.message.contains("did you mean 'face_landmark'?"))

        // Pinned correctly, but not ONNX at all.
        let garbage = try Self.modelsFolder("garbage", files: [:]) { _, _ in "" }
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: garbage + "/detector.onnx"))
        try FileManager.default.copyItem(atPath: TestSupport.modelsDirectory + "/face_landmark.onnx", toPath: garbage + "/landmark.onnx")
        try Self.manifest(detector: OpenCVRuntime.sha256(ofFile: garbage + "/detector.onnx"),
                          landmark: OpenCVRuntime.sha256(ofFile: garbage + "/landmark.onnx"))
            .write(toFile: garbage + "/models.yaml", atomically: true, encoding: .utf8)
        let e6 = try #require(try await Self.preflight(garbage))
        #expect(e6.code == .model && e6.message.contains("loading face detector") && e6.message.contains("OpenCV"), "\(e6)")
    }

    // MARK: Geometry

    @Test("solvePnP recovers yaw, pitch and roll of the generic face with the documented signs")
    func headPoseConventions() throws {
        let degrees = Double.pi / 180
        for (yaw, pitch, roll) in [(0.0, 0.0, 0.0), (20.0, 0.0, 0.0), (0.0, 15.0, 0.0), (0.0, 0.0, -25.0), (-30.0, 10.0, 12.0)] {
            // R = Ry(-yaw) Rx(-pitch) Rz(roll), the face 1000 units in front of a 640x480 camera.
            let a = -yaw * degrees, b = -pitch * degrees, c = roll * degrees
            func rotate(_ p: SIMD3<Double>) -> SIMD3<Double> {
                let z = SIMD3(cos(c) * p.x - sin(c) * p.y, sin(c) * p.x + cos(c) * p.y, p.z)
                let x = SIMD3(z.x, cos(b) * z.y - sin(b) * z.z, sin(b) * z.y + cos(b) * z.z)
                return SIMD3(cos(a) * x.x + sin(a) * x.z, x.y, -sin(a) * x.x + cos(a) * x.z)
            }
            var values = [Float](repeating: 0, count: FaceLandmarks.count * 3)
            for (index, model) in zip(FaceGeometry.posePoints, FaceGeometry.poseModel) {
                let p = rotate(model) + SIMD3(0, 0, 1000)
                values[3 * index] = Float(640 * p.x / p.z + 320)
                values[3 * index + 1] = Float(640 * p.y / p.z + 240)
            }
            let pose = try FaceGeometry.headPose(FaceLandmarks(values: values), width: 640, height: 480)
            #expect(abs(pose.yaw - yaw) < 0.2 && abs(pose.pitch - pitch) < 0.2 && abs(pose.roll - roll) < 0.2,
                    "\(pose) for \((yaw, pitch, roll))")
        }
    }

    @Test("regions: level eyes give no rotation, the image-right eye lower turns clockwise; angles wrap")
    func regions() {
        let box = BoundingBox(x: 10, y: 20, width: 40, height: 60)
        let level = FaceRegion(around: box, from: Point2(20, 40), to: Point2(40, 40))
        #expect(level.center == Point2(30, 50) && level.size == 90 && level.rotation == 0)
        let tilted = FaceRegion(around: box, from: Point2(20, 40), to: Point2(40, 60))
        #expect(abs(tilted.rotation - .pi / 4) < 1e-12)
        #expect(abs(FaceRegion.normalized(3 * .pi / 2) + .pi / 2) < 1e-12)
    }

    @Test("blinks count closures that reopen, once each; a closure lost with the face does not count")
    func blinkCounter() {
        var counter = BlinkCounter()
        for ear in [0.27, 0.18, 0.22, 0.19, 0.26, 0.27, 0.15, 0.15, 0.28] { counter.update(ear: ear, threshold: 0.21) }
        #expect(counter.count == 2) // 0.22 is under 1.1 x 0.21: the first closure reopens at 0.26
        counter.update(ear: 0.1, threshold: 0.21)
        counter.update(ear: nil, threshold: 0.21)
        counter.update(ear: 0.3, threshold: 0.21)
        #expect(counter.count == 2)
    }

    @Test("percentile interpolates like numpy; a high percentile ignores a closed-eye stretch")
    func percentiles() {
        #expect(FaceCalibration.percentile([1, 2, 3, 4], 50) == 2.5)
        #expect(abs(FaceCalibration.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) - 9.1) < 1e-12)
        let window = Array(repeating: 0.12, count: 40) + Array(repeating: 0.28, count: 60)
        #expect(FaceCalibration.percentile(window, 90) == 0.28)
    }
}
