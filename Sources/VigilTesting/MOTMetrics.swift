public import VigilCore
import VigilTracking

/// CLEAR-MOT MOTA and IDF1 with IoU >= 0.5 matches, as py-motmetrics computes them.
public struct MOTMetrics: Sendable {
    public var mota: Double
    public var idf1: Double
    public var switches: Int
    public var falsePositives: Int
    public var misses: Int

    public struct Row: Sendable {
        public var id: Int
        public var box: BoundingBox
        public init(id: Int, box: BoundingBox) { self.id = id; self.box = box }
    }

    /// `gt[f]` and `hyp[f]` hold the boxes of frame f.
    public static func compute(gt: [[Row]], hyp: [[Row]]) -> MOTMetrics {
        var solver = LinearAssignmentSolver()
        var lastMatch: [Int: Int] = [:]   // gt id -> hyp id of its latest match
        var fp = 0, fn = 0, sw = 0, numGT = 0, numHyp = 0
        var overlap: [Int: [Int: Int]] = [:] // gt id -> hyp id -> frames matched at IoU >= 0.5
        var gtCount: [Int: Int] = [:], hypCount: [Int: Int] = [:]
        for f in 0..<max(gt.count, hyp.count) {
            let g = f < gt.count ? gt[f] : [], h = f < hyp.count ? hyp[f] : []
            numGT += g.count; numHyp += h.count
            for r in g { gtCount[r.id, default: 0] += 1 }
            for r in h { hypCount[r.id, default: 0] += 1 }
            var iou = [Double](repeating: 0, count: g.count * h.count)
            for i in g.indices { for j in h.indices {
                let v = g[i].box.iou(h[j].box)
                iou[i * h.count + j] = v
                if v >= 0.5 { overlap[g[i].id, default: [:]][h[j].id, default: 0] += 1 }
            } }
            // CLEAR-MOT: keep last frame's pairs that are still valid, then solve the rest.
            var gUsed = [Bool](repeating: false, count: g.count), hUsed = [Bool](repeating: false, count: h.count)
            var matches: [(Int, Int)] = []
            for i in g.indices {
                guard let prev = lastMatch[g[i].id], let j = h.firstIndex(where: { $0.id == prev }), !hUsed[j],
                      iou[i * h.count + j] >= 0.5 else { continue }
                gUsed[i] = true; hUsed[j] = true; matches.append((i, j))
            }
            let gi = g.indices.filter { !gUsed[$0] }, hj = h.indices.filter { !hUsed[$0] }
            if !gi.isEmpty && !hj.isEmpty {
                let big = 1e6
                var cost: [Double] = []
                for i in gi { for j in hj { let v = iou[i * h.count + j]; cost.append(v >= 0.5 ? 1 - v : big) } }
                for (r, c) in solver.solve(cost: cost, rows: gi.count, cols: hj.count).enumerated()
                where c >= 0 && cost[r * hj.count + c] < big {
                    matches.append((gi[r], hj[c]))
                }
            }
            for (i, j) in matches {
                if let prev = lastMatch[g[i].id], prev != h[j].id { sw += 1 }
                lastMatch[g[i].id] = h[j].id
            }
            fn += g.count - matches.count
            fp += h.count - matches.count
        }
        // IDF1: one global assignment of gt ids to hypothesis ids maximising matched frames.
        let gIDs = Array(gtCount.keys).sorted(), hIDs = Array(hypCount.keys).sorted()
        var idtp = 0
        if !gIDs.isEmpty && !hIDs.isEmpty {
            var cost: [Double] = []
            for g in gIDs { for h in hIDs { cost.append(-Double(overlap[g]?[h] ?? 0)) } }
            for (r, c) in solver.solve(cost: cost, rows: gIDs.count, cols: hIDs.count).enumerated() where c >= 0 {
                idtp += overlap[gIDs[r]]?[hIDs[c]] ?? 0
            }
        }
        let mota = numGT > 0 ? 1 - Double(fn + fp + sw) / Double(numGT) : 0
        let idf1 = numGT + numHyp > 0 ? 2 * Double(idtp) / Double(numGT + numHyp) : 0
        return MOTMetrics(mota: 100 * mota, idf1: 100 * idf1, switches: sw, falsePositives: fp, misses: fn)
    }
}
