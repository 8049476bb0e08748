import Foundation
import Logging
import Testing
import VigilConfig
import VigilCore
@testable import VigilRules
import VigilTesting
import VigilVision

@Suite("alert stage: spec and evidence")
struct AlertStageTests {
    static func spec(_ yaml: String) throws -> AlertSpec {
        let sink = DiagnosticSink()
        let spec = AlertSpec(config: ConfigReader(try ConfigFile.parse(yaml, file: "a.yaml"), diagnostics: sink))
        guard sink.diagnostics.isEmpty else { throw ValidationError(sink.diagnostics) }
        return spec
    }

    static func diagnostics(_ yaml: String) throws -> [String] {
        let sink = DiagnosticSink()
        _ = AlertSpec(config: ConfigReader(try ConfigFile.parse(yaml, file: "a.yaml"), diagnostics: sink))
        return ValidationError(inFileOrder: sink.diagnostics).diagnostics.map(\.description)
    }

    @Test func everyMistakeOfTheRulesIsPositioned() throws {
        let d = try Self.diagnostics("""
        zones:
          door: {polygon: [[0, 0], [10, 10], [20, 20]]}
          hall: {polygon: [[0, 0], [10]]}
        lines:
          gate: {points: [[5, 5], [5, 5]]}
        rules:
          a: {kind: dwell, zone: dor, for: 5s}
          b: {kind: metric, condition: "ear <", for: 1s}
          c: {kind: absence, zone: door, for: 1m, schedule: {from: "25:00", to: "18:00"}}
          d: {kind: line_cross, line: gate, direction: sideways}
          e: {kind: crowded, zone: door}
        evidence: maybe
        """)
        #expect(d == [
            "a.yaml:2:19: zone 'door': the polygon has no area (its corners are on one line)",
            "a.yaml:3:28: a point of 'polygon' must be [x, y] with two numbers",
            "a.yaml:5:18: line 'gate': its two points are the same",
            "a.yaml:7:26: rule 'a': unknown zone 'dor'; did you mean 'door'?",
            "a.yaml:8:32: rule 'b': invalid condition 'ear <': expected a number, a measurement name or '(' at character 6 of the expression",
            "a.yaml:9:60: invalid value '25:00' for 'from': expected HH:MM or HH:MM:SS",
            "a.yaml:10:48: invalid value 'sideways' for 'direction': expected one of in, out, both",
            "a.yaml:11:13: invalid value 'crowded' for 'kind': expected one of zone_enter, zone_exit, line_cross, dwell, crowd, absence, metric",
            "a.yaml:12:11: 'evidence' must be a mapping (path, crop, quality) or false",
        ])
    }

    @Test func aDisabledRuleIsCheckedThenLeftOut() throws {
        let spec = try Self.spec("""
        rules:
          drowsiness: {kind: metric, condition: "ear < 0.2", for: 1s, enabled: false}
          yawn: {kind: metric, condition: "mar > 0.6", for: 1s, enabled: true}
          no_face: {kind: metric, condition: "face_present == false", for: 2s}
        """)
        #expect(spec.configuration.rules.map(\.id) == ["yawn", "no_face"])
        // Disabled, it is still read: its mistakes are reported.
        #expect(try Self.diagnostics("""
        rules:
          drowsiness: {kind: metric, condition: "ear <", for: 1s, enabled: false}
        """).count == 1)
    }

    /// A grey 320x240 BGR frame with one person standing in a zone.
    static func frame(_ index: Int, time: Double, image: FrameImage?) -> AnnotatedFrame {
        let person = TrackPoint(trackID: 4, box: BoundingBox(x: 100, y: 60, width: 40, height: 100), score: 0.9,
                                state: .confirmed, age: time)
        return AnnotatedFrame(info: FrameInfo(sourceID: "cam", index: index, time: MediaTime(seconds: time),
                                              sourceWidth: 640, sourceHeight: 480),
                              image: image, tracks: [person])
    }

    @Test func evidenceIsTheFrameWithTheBoxDrawnAndACrop() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-evidence-\(UUID().uuidString)").path
        let spec = try Self.spec("""
        zones:
          stand: {polygon: [[0, 0], [640, 0], [640, 480], [0, 480]]}
        rules:
          present: {kind: zone_enter, zone: stand}
        evidence: {path: \(folder), crop: true, quality: 95}
        """)
        // Source frames are 640x480; the consumers asked for 320x240 (half size): boxes scale by 0.5.
        let image = FrameImage(width: 320, height: 240, format: .bgr24)
        memset(image.baseAddress, 128, image.stride * image.height)
        var context = StageContext(id: "alerts", logger: Logger(label: "test"), mode: .batch, shutdown: ShutdownSignal(),
                                   frameRequirement: nil, pipelineName: "evidence-test")
        context.renderer = OpenCVRenderer()
        let stage = try await spec.makeStage(context: context)
        let sink = CollectingSink()
        let frames = (0..<5).map { Message.frame(Self.frame($0, time: Double($0) / 10, image: image)) }
        try await stage.run(input: .messages(frames), output: sink.output)

        let start = try #require(sink.events.first { $0.phase == .start })
        #expect(start.evidence.count == 2)
        let snapshot = try #require(start.evidence.first), crop = try #require(start.evidence.last)
        #expect(snapshot.hasPrefix(folder + "/evidence-test/") && snapshot.hasSuffix(".jpg"))
        #expect(sink.events.first { $0.phase == .end }?.evidence == start.evidence)
        // The frame the stage forwarded is untouched: the drawing went on a copy.
        #expect(sink.frames.first?.image?.packedBytes().allSatisfy { $0 == 128 } == true)

        // Decoded by FFmpeg: the snapshot has the frame's size, the box colour on the box edge (x = 50 at
        // y = 55 in image pixels), the grey picture away from any drawing.
        let (w, h, rgb) = try await Self.decode(snapshot)
        #expect(w == 320 && h == 240)
        func pixel(_ x: Int, _ y: Int) -> (Int, Int, Int) {
            let i = (y * w + x) * 3
            return (Int(rgb[i]), Int(rgb[i + 1]), Int(rgb[i + 2]))
        }
        let edge = pixel(50, 55)
        #expect(abs(edge.0 - Int(EvidenceWriter.boxColor.r)) < 40 && abs(edge.1 - Int(EvidenceWriter.boxColor.g)) < 40
                && abs(edge.2 - Int(EvidenceWriter.boxColor.b)) < 40, "box edge pixel \(edge)")
        let far = pixel(250, 200)
        #expect(abs(far.0 - 128) < 8 && abs(far.1 - 128) < 8 && abs(far.2 - 128) < 8, "background pixel \(far)")
        let (cw, ch, _) = try await Self.decode(crop)
        #expect(cw == 24 && ch == 60)   // 20x50 image pixels + 10% on each side
    }

    /// Width, height and RGB24 pixels of a picture, decoded by the ffmpeg command-line tool.
    static func decode(_ path: String) async throws -> (Int, Int, [UInt8]) {
        let probe = try await ChildProcess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                          "stream=width,height", "-of", "csv=p=0", path], timeout: 30)
        let size = String(decoding: probe.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: ",").compactMap { Int($0) }
        try #require(size.count == 2, "ffprobe: \(String(decoding: probe.stderr, as: UTF8.self))")
        let raw = try await ChildProcess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                                       timeout: 30)
        return (size[0], size[1], [UInt8](raw.stdout))
    }
}
