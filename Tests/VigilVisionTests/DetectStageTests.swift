import Foundation
import Testing
import VigilConfig
import VigilCore
@testable import VigilVision

@Suite("detect stage")
struct DetectStageTests {
    @Test("runs the DNN on every frame, in order, with boxes in source pixels of downscaled frames")
    func dnnThroughStage() async throws {
        let spec = try TestSupport.spec("""
            kind: dnn
            model: yolo-fastest-1.1_body
            classes: [person]
            confidence: 0.35
            threads: 2
            """)
        #expect(spec.frameRequirement?.pixelFormat == .bgr24)
        let video = TestSupport.sample("vtest.avi")
        let full = try await TestSupport.frames(video, 100...105, width: 768, height: 576)
        let half = try await TestSupport.frames(video, 100...105, width: 384, height: 288)
        let fullOut = try await TestSupport.runStage(spec, frames: full.enumerated().map {
            TestSupport.annotated($0.element, index: 100 + $0.offset, sourceWidth: 768, sourceHeight: 576)
        })
        let halfOut = try await TestSupport.runStage(spec, frames: half.enumerated().map {
            TestSupport.annotated($0.element, index: 100 + $0.offset, sourceWidth: 768, sourceHeight: 576)
        })
        #expect(fullOut.map(\.info.index) == Array(100...105))
        #expect(halfOut.map(\.info.index) == Array(100...105))
        #expect(fullOut.allSatisfy { $0.detectorRan })
        // Frame 100 through the stage equals the reference; the half-size copy lands on the same people.
        let reference = try ParityFixture.load().frames.first { $0.frame == 100 }!.boxes
        #expect(fullOut[0].detections.count == reference.count)
        for (a, b) in zip(fullOut, halfOut) {
            let matched = b.detections.filter { d in a.detections.contains { $0.box.iou(d.box) >= 0.7 } }
            #expect(matched.count * 10 >= a.detections.count * 7, "frame \(a.info.index)")
        }
    }

    @Test("streams: 2 infers on two networks in parallel and keeps frame order and results")
    func parallelStreams() async throws {
        let frames = try await TestSupport.frames(TestSupport.sample("vtest.avi"), 200...215, width: 768, height: 576)
        let annotated = frames.enumerated().map {
            TestSupport.annotated($0.element, index: 200 + $0.offset, sourceWidth: 768, sourceHeight: 576)
        }
        let one = try await TestSupport.runStage(try TestSupport.spec("kind: dnn\nmodel: yolo-fastest-1.1_body\n"),
                                                 frames: annotated)
        let two = try await TestSupport.runStage(
            try TestSupport.spec("kind: dnn\nmodel: yolo-fastest-1.1_body\nstreams: 2\nthreads: 2\n"), frames: annotated)
        #expect(two.map(\.info.index) == Array(200...215))
        #expect(two.map(\.detections) == one.map(\.detections))
    }

    @Test("cascade with children and rotations, configured from YAML, through the stage")
    func cascadeThroughStage() async throws {
        let spec = try TestSupport.spec("""
            kind: cascade
            cascade: frontalface_default
            label: face
            min_size: 30
            rotations: [10, -10, 20, -20]
            children:
              - cascade: eye
                label: eye
                scale_factor: 1.1
                min_neighbors: 3
            """)
        let frames = try await TestSupport.frames(TestSupport.sample("carphone_pristine.mp4"), 0...9, width: 176, height: 144)
        let out = try await TestSupport.runStage(spec, frames: frames.enumerated().map {
            TestSupport.annotated($0.element, index: $0.offset, sourceWidth: 176, sourceHeight: 144)
        })
        #expect(out.filter { $0.detections.filter { $0.label == "face" }.count == 1 }.count >= 9)
        #expect(out.contains { $0.detections.contains { $0.label == "eye" } })
    }

    @Test("interval: 3 runs the detector on every third frame of each source")
    func interval() async throws {
        let spec = try TestSupport.spec("kind: dnn\nmodel: yolo-fastest-1.1_body\ninterval: 3\n")
        let image = try await TestSupport.frame(TestSupport.sample("vtest.avi"), 0, width: 768, height: 576)
        let frames = (0..<7).map { TestSupport.annotated(image, index: $0, sourceWidth: 768, sourceHeight: 576) }
        let out = try await TestSupport.runStage(spec, frames: frames)
        #expect(out.map(\.detectorRan) == [true, false, false, true, false, false, true])
        #expect(out.filter { !$0.detectorRan }.allSatisfy { $0.detections.isEmpty })
        #expect(out.filter(\.detectorRan).allSatisfy { !$0.detections.isEmpty })
    }

    @Test("gate: motion skips still frames but runs at least every max_interval frames")
    func motionGate() async throws {
        let spec = try TestSupport.spec("kind: dnn\nmodel: yolo-fastest-1.1_body\ngate: motion\nmax_interval: 4\n")
        let still = try await TestSupport.frame(TestSupport.sample("vtest.avi"), 0, width: 768, height: 576)
        let frames = (0..<9).map { TestSupport.annotated(still, index: $0, sourceWidth: 768, sourceHeight: 576) }
        let out = try await TestSupport.runStage(spec, frames: frames)
        #expect(out.map(\.detectorRan) == [true, false, false, false, true, false, false, false, true])

        let moving = try await TestSupport.frames(TestSupport.sample("vtest.avi"), 0...5, width: 768, height: 576)
        let walking = try await TestSupport.runStage(spec, frames: moving.enumerated().map {
            TestSupport.annotated($0.element, index: $0.offset, sourceWidth: 768, sourceHeight: 576)
        })
        #expect(walking.allSatisfy { $0.detectorRan })
    }

    @Test("file: detections from a MOT det.txt per source, without pixels")
    func motFile() async throws {
        let directory = NSTemporaryDirectory() + "vigil-mot-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "1,-1,10,20,30,40,0.9,-1,-1,-1\n1,-1,50,60,10,20,0.2,-1,-1,-1\n3,-1,1.5,2.5,3,4,0.8\n"
            .write(toFile: directory + "/camera.txt", atomically: true, encoding: .utf8)
        let spec = try TestSupport.spec("kind: file\npath: \(directory)/{source}.txt\nconfidence: 0.5\n")
        #expect(spec.frameRequirement == nil)
        let frames = (0..<3).map {
            AnnotatedFrame(info: FrameInfo(sourceID: "camera", index: $0, time: MediaTime(seconds: Double($0)),
                                           sourceWidth: 100, sourceHeight: 100), image: nil)
        }
        let out = try await TestSupport.runStage(spec, frames: frames)
        #expect(out.map(\.detections.count) == [1, 0, 1])
        #expect(out[0].detections.first?.box == BoundingBox(x: 10, y: 20, width: 30, height: 40))
        #expect(out[2].detections.first?.box == BoundingBox(x: 1.5, y: 2.5, width: 3, height: 4))

        try "1,2,3\n".write(toFile: directory + "/camera.txt", atomically: true, encoding: .utf8)
        let error = await #expect(throws: VigilError.self) { try await spec.preflight(context: TestSupport.context()) }
        #expect(error?.description == "\(directory)/camera.txt:1: expected at least 7 comma-separated fields "
                + "frame,id,x,y,w,h,score; found 3")
    }

    @Test("configuration errors are reported with positions")
    func configurationErrors() throws {
        let sink = DiagnosticSink()
        let node = try ConfigFile.parse("kind: dnn\nmodel: m\nconfidance: 0.3\nnms: 2\ngate: motion\nmax_interval: soon\n",
                                      file: "p.yaml")
        _ = DetectSpec(config: ConfigReader(node, diagnostics: sink))
        let text = sink.diagnostics.map(\.description)
        #expect(text.contains { $0.hasPrefix("p.yaml:3:1:") && $0.contains("did you mean 'confidence'") })
        #expect(text.contains { $0.hasPrefix("p.yaml:4:6:") && $0.contains("'nms'") })
        #expect(text.contains { $0.hasPrefix("p.yaml:6:15:") && $0.contains("max_interval") })

        let missing = DiagnosticSink()
        _ = DetectSpec(config: ConfigReader(try ConfigFile.parse("kind: cascade\n", file: "q.yaml"), diagnostics: missing))
        #expect(missing.diagnostics.contains { $0.message.contains("missing required key 'cascade'") })
    }
}
