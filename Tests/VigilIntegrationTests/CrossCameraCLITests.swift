import Foundation
import Testing
import VigilTesting

/// Two cameras cut from one real video (samples/vtest.avi, 768 px wide): `left` sees x 0..448 and
/// `right` x 320..768, so they overlap in a 128 px band. Both are placed on the same site map by a
/// homography; the pipeline declares them linked (overlapping: min transit 0). People walking through
/// the band are seen by both at once, so ground truth for a cross-camera link is simple: the two
/// tracks' boxes, in original-video pixels, coincide on the frames both cameras see them.
@Suite("cross-camera identities on real video")
struct CrossCameraCLITests {
    static let offset = 320.0

    static func crop(_ filter: String, to url: URL) async throws {
        let result = try await ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-i", RunCLITests.vtest, "-vf", filter,
                                           "-c:v", "mpeg4", "-q:v", "2", url.path])
        #expect(result.status == 0 && !result.timedOut, "ffmpeg \(filter): \(result.errors)")
    }

    @Test
    func peopleCrossingTheOverlapKeepOneGlobalID() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let left = dir.appendingPathComponent("left.avi"), right = dir.appendingPathComponent("right.avi")
        try await Self.crop("crop=448:576:0:0", to: left)
        try await Self.crop("crop=448:576:320:0", to: right)
        let output = dir.appendingPathComponent("out.jsonl")
        let pipeline = dir.appendingPathComponent("two.yaml")
        // The same ground points in each view (the right view's x is the video's x - 320).
        try """
        sources:
          left: {type: video, url: \(left.path)}
          right: {type: video, url: \(right.path)}
        stages:
          people: {type: detect, inputs: [left, right], kind: dnn, model: yolo-fastest-1.1_body, confidence: 0.3}
          tracks: {type: track, inputs: [people]}
          identities:
            type: reidentify
            inputs: [tracks]
            max_map_distance: 0.75
            cameras:
              left:
                homography:
                  image: [[533, 269], [620, 190], [315, 239], [655, 350], [447, 212]]
                  map: [[4, 18], [8, 24], [-2, 20], [6, 14], [2, 22]]
                links: [{to: right, min_transit_seconds: 0, max_transit_seconds: 5}]
              right:
                homography:
                  image: [[213, 269], [300, 190], [-5, 239], [335, 350], [127, 212]]
                  map: [[4, 18], [8, 24], [-2, 20], [6, 14], [2, 22]]
        sinks:
          out: {type: jsonl, inputs: [identities], path: \(output.path)}
        """.write(to: pipeline, atomically: true, encoding: .utf8)
        // Two cameras through the DNN detector in a debug build: minutes when the suite's other tests load the machine.
        let result = try await CLI.run(["run", pipeline.path], timeout: 700)
        #expect(result.status == 0, "\(result.stderr)")

        struct Key: Hashable { var camera: String; var track: Int }
        var boxes: [Key: [Int: [Double]]] = [:]
        var globalIDs: [Key: Int] = [:]
        for line in try RunCLITests.lines(output) where line["kind"] as? String == "frame" {
            guard let camera = line["source"] as? String, let frame = line["frame"] as? Int else { continue }
            for t in line["tracks"] as? [[String: Any]] ?? [] {
                guard let id = t["track_id"] as? Int, var box = t["box"] as? [Double], box.count == 4 else { continue }
                if camera == "right" { box[0] += Self.offset }
                let key = Key(camera: camera, track: id)
                boxes[key, default: [:]][frame] = box
                if let g = t["global_id"] as? Int { globalIDs[key] = g }
            }
        }
        func iou(_ a: [Double], _ b: [Double]) -> Double {
            let iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]), ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
            guard iw > 0, ih > 0 else { return 0 }
            return iw * ih / (a[2] * a[3] + b[2] * b[3] - iw * ih)
        }
        var linked = 0, correct = 0, samePerson = 0, samePersonLinked = 0
        for l in boxes.keys where l.camera == "left" {
            for r in boxes.keys where r.camera == "right" {
                let common = boxes[l]!.keys.filter { boxes[r]![$0] != nil }
                guard common.count >= 3 else { continue }
                let agree = Double(common.filter { iou(boxes[l]![$0]!, boxes[r]![$0]!) >= 0.5 }.count) / Double(common.count)
                let isLinked = globalIDs[l] != nil && globalIDs[l] == globalIDs[r]
                if agree >= 0.5 { samePerson += 1; if isLinked { samePersonLinked += 1 } }
                if isLinked { linked += 1; if agree >= 0.5 { correct += 1 } }
            }
        }
        let precision = Double(correct) / Double(max(1, linked)), recall = Double(samePersonLinked) / Double(max(1, samePerson))
        print("cross-camera links \(linked), correct \(correct) (precision \(precision)); same-person pairs \(samePerson), linked \(samePersonLinked) (recall \(recall))")
        #expect(samePerson >= 20, "people cross the overlap band many times in vtest")
        #expect(precision >= 0.8, "links between tracks seen at once must be the same person")
        #expect(recall >= 0.5)
    }
}
