/// Optimal matching of tracks (rows) to detections (columns) where a pair is allowed only when its cost
/// is below `limit`, and leaving a row or column unmatched is allowed: minimises the sum of
/// `cost - limit` over the chosen pairs (what ByteTrack gets from `lapjv(extend_cost=True, cost_limit=)`).
///
/// The allowed pairs of a frame split into small independent groups (people far apart cannot
/// compete for the same box), so each connected group is solved on its own, and a pair that is the
/// only option of both its row and its column is taken without solving anything. This keeps the
/// cost of a crowd linear in its size instead of cubic.
public struct GatedAssignment: Sendable {
    private var solver = LinearAssignmentSolver()
    private var parent: [Int] = []
    private var rowDegree: [Int32] = []
    private var colDegree: [Int32] = []
    private var rowOnly: [Int32] = []
    private var componentRows: [Int] = []
    private var componentCols: [Int] = []
    private var colSlot: [Int] = []
    private var sub: [Double] = []
    private var rootsSeen: [Bool] = []

    public init() {}

    /// Pairs (row, column) of the optimal gated matching of a row-major `rows x cols` matrix.
    public mutating func match(cost: [Double], rows: Int, cols: Int, limit: Double) -> [(row: Int, col: Int)] {
        var pairs: [(row: Int, col: Int)] = []
        if rows == 0 || cols == 0 { return pairs }
        fill(&rowDegree, rows, 0); fill(&colDegree, cols, 0); fill(&rowOnly, rows, -1)
        for r in 0..<rows {
            let base = r * cols
            for c in 0..<cols where cost[base + c] < limit {
                rowDegree[r] += 1; colDegree[c] += 1; rowOnly[r] = Int32(c)
            }
        }
        // Unambiguous pairs first.
        var needsSolver = false
        for r in 0..<rows where rowDegree[r] == 1 {
            let c = Int(rowOnly[r])
            if colDegree[c] == 1 { pairs.append((r, c)); rowDegree[r] = 0; colDegree[c] = 0 }
        }
        for r in 0..<rows where rowDegree[r] > 0 { needsSolver = true; break }
        guard needsSolver else { return pairs }

        // Connected groups of the remaining allowed pairs (union-find over rows and columns).
        let n = rows + cols
        if parent.count < n { parent = [Int](repeating: 0, count: n) }
        for k in 0..<n { parent[k] = k }
        for r in 0..<rows where rowDegree[r] > 0 {
            let base = r * cols
            for c in 0..<cols where cost[base + c] < limit { union(r, rows + c) }
        }
        fill(&rootsSeen, n, false)
        fill(&colSlot, cols, -1)
        for r in 0..<rows where rowDegree[r] > 0 {
            let root = find(r)
            if rootsSeen[root] { continue }
            rootsSeen[root] = true
            componentRows.removeAll(keepingCapacity: true)
            componentCols.removeAll(keepingCapacity: true)
            for rr in r..<rows where rowDegree[rr] > 0 && find(rr) == root { componentRows.append(rr) }
            for c in 0..<cols where colDegree[c] > 0 && find(rows + c) == root {
                colSlot[c] = componentCols.count
                componentCols.append(c)
            }
            solveComponent(cost: cost, cols: cols, limit: limit, into: &pairs)
        }
        return pairs
    }

    private mutating func solveComponent(cost: [Double], cols: Int, limit: Double,
                                         into pairs: inout [(row: Int, col: Int)]) {
        let nr = componentRows.count, nc = componentCols.count
        let width = nc + nr // real columns, then one "unmatched" column per row
        let forbidden = limit + 1
        sub.removeAll(keepingCapacity: true)
        sub.reserveCapacity(nr * width)
        for r in componentRows {
            let base = r * cols
            for c in componentCols {
                let value = cost[base + c]
                sub.append(value < limit ? value : forbidden)
            }
            for _ in 0..<nr { sub.append(limit) }
        }
        let assignment = solver.solve(cost: sub, rows: nr, cols: width)
        for (k, slot) in assignment.enumerated() where slot >= 0 && slot < nc {
            let r = componentRows[k], c = componentCols[slot]
            if cost[r * cols + c] < limit { pairs.append((r, c)) }
        }
    }

    private mutating func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
        return x
    }

    private mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        if ra != rb { parent[ra] = rb }
    }

    private func fill<T>(_ array: inout [T], _ count: Int, _ value: T) {
        if array.count >= count {
            for k in 0..<count { array[k] = value }
        } else {
            array = [T](repeating: value, count: count)
        }
    }
}
