import Foundation
import Testing
import VigilCore
@testable import VigilVision

@Suite("DNN detector")
struct DNNDetectorTests {
    /// DetectionModel (OpenCV 4.6, dnn/src/model.cpp) reports integer rects: width = int(w) and
    /// left = int(centerX - width / 2) with integer halving. Quantising our float boxes the same way compares
    /// the detections rather than the rounding convention.
    static func quantized(_ b: BoundingBox) -> BoundingBox {
        let width = Int(b.width), height = Int(b.height)
        let left = Int(b.centerX - Double(width / 2)), top = Int(b.centerY - Double(height / 2))
        return BoundingBox(x: Double(left), y: Double(top), width: Double(max(1, width)), height: Double(max(1, height)))
    }

    @Test("matches cv2.dnn_DetectionModel on vtest frames 0, 100, 400 (count, IoU >= 0.98)")
    func parityWithOpenCVReference() async throws {
        let fixture = try ParityFixture.load()
        let configuration = try TestSupport.registry().configuration(for: "yolo-fastest-1.1_body",
                                                                     inputSize: (320, 320), letterbox: false)
        let detector = try DNNDetector(configuration, confidence: 0.35, nmsThreshold: 0.45)
        #expect(detector.layout == .darknet)
        #expect(detector.classCount == 1)
        for reference in fixture.frames {
            let image = try await TestSupport.frame(TestSupport.sample("vtest.avi"), reference.frame, width: 768, height: 576)
            let found = try detector.detect(in: image)
            #expect(found.count == reference.boxes.count, "frame \(reference.frame)")
            var unmatched = found
            for expected in reference.boxes {
                let best = unmatched.indices.max { a, b in
                    Self.quantized(unmatched[a].box).iou(expected.box) < Self.quantized(unmatched[b].box).iou(expected.box)
                }
                guard let best else { Issue.record("frame \(reference.frame): no box for \(expected)"); continue }
                let match = unmatched.remove(at: best)
                #expect(Self.quantized(match.box).iou(expected.box) >= 0.98, "frame \(reference.frame): \(match.box) vs \(expected)")
                #expect(match.box.iou(expected.box) >= 0.9)
                #expect(abs(match.score - expected.score) < 1e-3)
                #expect(match.label == "person")
            }
        }
    }

    /// The tiny graphs of make_tiny_yolo_onnx.py on a 640x480 frame, 320x320 letterboxed input:
    /// scale 0.5, 40 px of padding on top, so image = ((x - 0) / 0.5, (y - 40) / 0.5).
    static let expectedTiny: [(BoundingBox, Double, Int)] = [
        (BoundingBox(x: 160, y: 60, width: 80, height: 120), 0.9, 0),
        (BoundingBox(x: 350, y: 170, width: 100, height: 100), 0.7, 1),
        (BoundingBox(x: 164, y: 62, width: 80, height: 120), 0.6, 1),
        (BoundingBox(x: 0, y: 0, width: 60, height: 60), 0.5, 0),
    ]

    static func tiny(_ name: String, layout: YOLOLayout) throws -> DNNDetector {
        let configuration = DNNConfiguration(format: .onnx, modelPath: TestSupport.fixtures + "/\(name).onnx",
                                             inputWidth: 320, inputHeight: 320, letterbox: true, layout: layout,
                                             classNames: ["a", "b"], name: name)
        return try DNNDetector(configuration, confidence: 0.35, nmsThreshold: 0.45)
    }

    @Test("YOLOv8 ONNX layout decodes to exactly the known boxes")
    func yolov8Layout() throws {
        let detector = try Self.tiny("tiny-yolov8", layout: .yolov8)
        #expect(detector.classCount == 2)
        let found = try detector.detect(in: FrameImage(width: 640, height: 480, format: .bgr24))
        #expect(found.count == Self.expectedTiny.count)
        for (detection, expected) in zip(found, Self.expectedTiny) {
            #expect(detection.box == expected.0)
            #expect(abs(detection.score - expected.1) < 1e-6)
            #expect(detection.classID == expected.2)
            #expect(detection.label == ["a", "b"][expected.2])
        }
        try detector.restrict(toClasses: ["b"])
        let onlyB = try detector.detect(in: FrameImage(width: 640, height: 480, format: .bgr24))
        #expect(onlyB.map(\.box) == [Self.expectedTiny[1].0, Self.expectedTiny[2].0])
        #expect(throws: VigilError.self) { try detector.restrict(toClasses: ["person"]) }
    }

    @Test("YOLOv5 ONNX layout multiplies objectness in")
    func yolov5Layout() throws {
        let detector = try Self.tiny("tiny-yolov5", layout: .yolov5)
        let found = try detector.detect(in: FrameImage(width: 640, height: 480, format: .bgr24))
        #expect(found.map(\.box) == Self.expectedTiny.map(\.0))
        #expect(abs(found[3].score - 0.4) < 1e-6) // objectness 0.8 x 0.5
    }

    @Test("stretch (no letterbox) maps the same outputs back per axis")
    func stretchMapping() throws {
        let configuration = DNNConfiguration(format: .onnx, modelPath: TestSupport.fixtures + "/tiny-yolov8.onnx",
                                             inputWidth: 320, inputHeight: 320, letterbox: false, layout: .yolov8,
                                             classNames: ["a", "b"])
        let detector = try DNNDetector(configuration)
        let found = try detector.detect(in: FrameImage(width: 640, height: 160, format: .bgr24))
        // x * 2, y * 0.5: cx 100 -> 200, w 40 -> 80; cy 100 -> 50, h 60 -> 30.
        #expect(found.first?.box == BoundingBox(x: 160, y: 35, width: 80, height: 30))
    }
}

@Suite("Bad models")
struct BadModelTests {
    static func copyModel(to directory: String, weights: String = "yolo-fastest-1.1_body.weights",
                          truncateTo: Int? = nil) throws -> (cfg: String, weights: String) {
        let models = TestSupport.modelsDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cfg = directory + "/model.cfg", target = directory + "/model.weights"
        try? FileManager.default.removeItem(atPath: cfg)
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: models + "/yolo-fastest-1.1_body.cfg", toPath: cfg)
        var data = try Data(contentsOf: URL(fileURLWithPath: models + "/" + weights))
        if let truncateTo { data = data.prefix(truncateTo) }
        try data.write(to: URL(fileURLWithPath: target))
        return (cfg, target)
    }

    static func temporaryDirectory(_ name: String) -> String {
        NSTemporaryDirectory() + "vigil-vision-\(name)-\(UUID().uuidString)"
    }

    static func load(_ files: (cfg: String, weights: String)) throws -> DNNDetector {
        try DNNDetector(DNNConfiguration(format: .darknet, modelPath: files.weights, configPath: files.cfg,
                                         inputWidth: 320, inputHeight: 320, letterbox: false, name: "broken-model"))
    }

    @Test("truncated weights are refused with the parameter counts")
    func truncatedWeights() throws {
        let directory = Self.temporaryDirectory("truncated")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try Self.copyModel(to: directory, truncateTo: 600_000)
        let error = #expect(throws: VigilError.self) { try Self.load(files) }
        #expect(error?.code == .model)
        #expect(error?.subject == "broken-model")
        #expect(error?.message.contains("parameters") == true)
        #expect(error?.message.contains("model.weights") == true)
    }

    @Test("weights of another model are refused")
    func mismatchedWeights() throws {
        let directory = Self.temporaryDirectory("mismatch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try Self.copyModel(to: directory, weights: "yolo-fastest-1.1.weights")
        let error = #expect(throws: VigilError.self) { try Self.load(files) }
        #expect(error?.message.contains("cfg needs 294396") == true)
    }

    @Test("a file OpenCV cannot parse, and a missing file, give clear errors")
    func unparsableAndMissing() throws {
        let directory = Self.temporaryDirectory("garbage")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try Self.copyModel(to: directory)
        try Data("this is not a darknet cfg\n[net\nwidth=\n".utf8).write(to: URL(fileURLWithPath: files.cfg))
        let parse = #expect(throws: VigilError.self) { try Self.load(files) }
        #expect(parse?.message.contains("OpenCV") == true)
        let onnx = directory + "/bad.onnx"
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: onnx))
        #expect(throws: VigilError.self) {
            try DNNDetector(DNNConfiguration(format: .onnx, modelPath: onnx, inputWidth: 320, inputHeight: 320, letterbox: true))
        }
        let missing = #expect(throws: VigilError.self) {
            try Self.load((cfg: files.cfg, weights: directory + "/nope.weights"))
        }
        #expect(missing?.message.contains("nope.weights") == true)
    }

    @Test("a hash mismatch names the model and the file, from the detect stage's preflight")
    func hashMismatch() async throws {
        let directory = Self.temporaryDirectory("hash")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let models = TestSupport.modelsDirectory
        for file in ["models.yaml", "yolo-fastest-1.1_body.cfg", "body.names"] {
            try FileManager.default.copyItem(atPath: models + "/" + file, toPath: directory + "/" + file)
        }
        var weights = try Data(contentsOf: URL(fileURLWithPath: models + "/yolo-fastest-1.1_body.weights"))
        weights[weights.count - 1] ^= 0xff
        try weights.write(to: URL(fileURLWithPath: directory + "/yolo-fastest-1.1_body.weights"))
        var spec = try TestSupport.spec("kind: dnn\nmodel: yolo-fastest-1.1_body\n")
        spec.modelsDirectory = directory
        let error = await #expect(throws: VigilError.self) { try await spec.preflight(context: TestSupport.context()) }
        #expect(error?.message.contains("yolo-fastest-1.1_body") == true)
        #expect(error?.message.contains("yolo-fastest-1.1_body.weights") == true)
        #expect(error?.message.contains("SHA-256") == true)

        try FileManager.default.removeItem(atPath: directory + "/yolo-fastest-1.1_body.weights")
        let missing = await #expect(throws: VigilError.self) { try await spec.preflight(context: TestSupport.context()) }
        #expect(missing?.message.contains("missing") == true)

        var unknown = try TestSupport.spec("kind: dnn\nmodel: yolo-fastest-1.1-body\n")
        unknown.modelsDirectory = models
        let typo = await #expect(throws: VigilError.self) { try await unknown.preflight(context: TestSupport.context()) }
        #expect(typo?.message.contains("did you mean 'yolo-fastest-1.1_body'") == true)
    }
}
