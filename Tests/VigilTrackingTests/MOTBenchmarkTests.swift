import Foundation
import Testing
import VigilCore
@testable import VigilTracking
import VigilTesting

/// The MOT development set committed with the tests (Tests/Fixtures/mot, provenance in its README).
let motDataDirectory: String = {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return packageRoot.appendingPathComponent("Tests/Fixtures/mot").path
}()

struct MOTRow: Sendable, CustomStringConvertible {
    var seq: String, level: String, frames: Int, fps: Double
    /// Best peer figures from Tests/Fixtures/mot/README.md.
    var bestPeerMOTA: Double, bestPeerIDF1: Double
    var description: String { "\(seq) \(level)" }
}

let motRows = [
    MOTRow(seq: "TUD-Campus", level: "easy", frames: 71, fps: 25, bestPeerMOTA: 78.6, bestPeerIDF1: 83.6),
    MOTRow(seq: "TUD-Campus", level: "medium", frames: 71, fps: 25, bestPeerMOTA: 48.2, bestPeerIDF1: 65.3),
    MOTRow(seq: "TUD-Campus", level: "hard", frames: 71, fps: 25, bestPeerMOTA: 38.2, bestPeerIDF1: 55.1),
    MOTRow(seq: "SYNTH-Plaza-dev", level: "easy", frames: 1500, fps: 30, bestPeerMOTA: 94.5, bestPeerIDF1: 93.4),
    MOTRow(seq: "SYNTH-Plaza-dev", level: "medium", frames: 1500, fps: 30, bestPeerMOTA: 82.2, bestPeerIDF1: 71.3),
]

/// Ground-truth boxes by frame, without those marked "do not consider" (7th field 0).
func loadGroundTruth(_ path: String, frames: Int) throws -> [[MOTMetrics.Row]] {
    var out = [[MOTMetrics.Row]](repeating: [], count: frames)
    for record in try MOTChallenge.read(contentsOf: path) where record.score != 0 && record.frame <= frames {
        out[record.frame - 1].append(.init(id: record.id, box: record.box))
    }
    return out
}

@Test(arguments: motRows)
func trackerReachesThePeerThresholdsOnTheDevelopmentSet(row: MOTRow) throws {
    let dir = motDataDirectory + "/" + row.seq
    let detections = MOTChallenge.detectionsByFrame(try MOTChallenge.read(contentsOf: dir + "/det-\(row.level).txt"),
                                                    frames: row.frames)
    let gt = try loadGroundTruth(dir + "/gt.txt", frames: row.frames)
    var tracker = ByteTracker()
    var hyp: [[MOTMetrics.Row]] = []
    for (f, dets) in detections.enumerated() {
        hyp.append(tracker.update(detections: dets, at: Double(f) / row.fps).map { .init(id: $0.trackID, box: $0.box) })
    }
    let m = MOTMetrics.compute(gt: gt, hyp: hyp)
    print("\(row): MOTA \(m.mota) IDF1 \(m.idf1) IDsw \(m.switches) FP \(m.falsePositives) FN \(m.misses)")
    #expect(m.mota >= row.bestPeerMOTA - 1.0, "\(row): MOTA \(m.mota) < best peer \(row.bestPeerMOTA) - 1")
    #expect(m.idf1 >= row.bestPeerIDF1, "\(row): IDF1 \(m.idf1) < best peer \(row.bestPeerIDF1)")
}
