import Foundation
import Testing

@Suite("vigil run: face measurements")
struct FaceCLITests {
    /// Pipelines/face-measure.yaml as shipped, decoded by the video source, written by the jsonl sink.
    @Test func faceMeasurePipelineEndToEnd() async throws {
        let dir = try CLI.temporaryDirectory()
        let output = dir.appendingPathComponent("face.jsonl")
        let shipped = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Pipelines/face-measure.yaml"), encoding: .utf8)
        let pipeline = dir.appendingPathComponent("face-measure.yaml")
        try shipped.replacingOccurrences(of: "url: samples/", with: "url: \(CLI.packageRoot.path)/samples/")
            .replacingOccurrences(of: "path: out/face-measure.jsonl", with: "path: \(output.path)")
            .write(to: pipeline, atomically: true, encoding: .utf8)
        let result = try await CLI.run(["run", pipeline.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let frames = try RunCLITests.lines(output)
        #expect(frames.count == 120)
        let measurements = frames.map { $0["measurements"] as? [String: Double] ?? [:] }
        #expect(measurements.filter { $0["face_present"] == 1 }.count >= 115)
        #expect(frames.allSatisfy { ($0["detections"] as? [[String: Any]])?.first?["label"] as? String == "face" })
        // The shipped calibration (3 s) completes within the 4-second clip.
        let last = try #require(measurements.last)
        #expect(last["calibrated"] == 1 && (0.25...0.30).contains(last["ear_baseline"] ?? 0))
        #expect(last["blinks"].map { $0 >= 2 } == true)
        for key in ["ear", "ear_left", "ear_right", "mar", "yaw", "pitch", "roll", "yaw_relative", "pitch_relative"] {
            #expect(last[key] != nil, "no \(key) on the last frame")
        }
    }
}
