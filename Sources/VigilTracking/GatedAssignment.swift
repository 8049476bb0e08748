/// One allowed (row, column) pair and its cost.
public struct AssignmentEdge: Sendable, Hashable {
    public var row: Int32
    public var col: Int32
    public var cost: Double
    public init(row: Int, col: Int, cost: Double) { self.row = Int32(row); self.col = Int32(col); self.cost = cost }
}

/// Optimal matching of tracks (rows) to detections (columns) where a pair is allowed only when its cost
/// is below `limit`, and leaving a row or column unmatched is allowed: minimises the sum of
/// `cost - limit` over the chosen pairs (what ByteTrack gets from `lapjv(extend_cost=True, cost_limit=)`).
///
/// The allowed pairs of a frame split into small independent groups (people far apart cannot
/// compete for the same box), so each connected group is solved on its own, and a pair that is the
/// only option of both its row and its column is taken without solving anything. With the pairs
/// given sparsely, the cost of a crowd grows with its size, not with its square.
public struct GatedAssignment: Sendable {
    private var solver = LinearAssignmentSolver()
    private var parent: [Int32] = []
    private var rowDegree: [Int32] = []
    private var colDegree: [Int32] = []
    private var rowOnly: [Int32] = []
    private var component: [Int32] = []
    private var slot: [Int32] = []
    private var order: [Int] = []
    private var edgeComponent: [Int32] = []
    private var componentRows: [Int32] = []
    private var componentCols: [Int32] = []
    private var sub: [Double] = []
    private var scratchEdges: [AssignmentEdge] = []

    public init() {}

    /// Pairs (row, column) of the optimal gated matching of a dense row-major `rows x cols` matrix.
    public mutating func match(cost: [Double], rows: Int, cols: Int, limit: Double) -> [(row: Int, col: Int)] {
        var edges = scratchEdges
        edges.removeAll(keepingCapacity: true)
        for r in 0..<rows { for c in 0..<cols where cost[r * cols + c] < limit {
            edges.append(AssignmentEdge(row: r, col: c, cost: cost[r * cols + c]))
        } }
        let pairs = match(edges: edges, rows: rows, cols: cols, limit: limit)
        scratchEdges = edges
        return pairs
    }

    /// The same on a sparse list of pairs (each (row, col) at most once; pairs at or above `limit` are ignored).
    public mutating func match(edges: [AssignmentEdge], rows: Int, cols: Int, limit: Double) -> [(row: Int, col: Int)] {
        var pairs: [(row: Int, col: Int)] = []
        if rows == 0 || cols == 0 || edges.isEmpty { return pairs }
        fill(&rowDegree, rows, 0); fill(&colDegree, cols, 0); fill(&rowOnly, rows, -1)
        for e in edges where e.cost < limit {
            rowDegree[Int(e.row)] += 1; colDegree[Int(e.col)] += 1; rowOnly[Int(e.row)] = e.col
        }
        // Unambiguous pairs first.
        var remaining = 0
        for r in 0..<rows where rowDegree[r] == 1 {
            let c = Int(rowOnly[r])
            if colDegree[c] == 1 { pairs.append((r, c)); rowDegree[r] = 0; colDegree[c] = 0 }
        }
        for r in 0..<rows where rowDegree[r] > 0 { remaining += 1 }
        guard remaining > 0 else { return pairs }

        // Connected groups of the remaining pairs: union-find over rows (0..<rows) and columns (rows...).
        let n = rows + cols
        fill(&parent, n, 0)
        for k in 0..<n { parent[k] = Int32(k) }
        for e in edges where e.cost < limit && rowDegree[Int(e.row)] > 0 { union(Int(e.row), rows + Int(e.col)) }
        fill(&component, n, -1)
        var components: Int32 = 0
        edgeComponent.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
        for (k, e) in edges.enumerated() {
            guard e.cost < limit, rowDegree[Int(e.row)] > 0 else { edgeComponent.append(-1); continue }
            let root = find(Int(e.row))
            if component[root] < 0 { component[root] = components; components += 1 }
            edgeComponent.append(component[root])
            order.append(k)
        }
        order.sort { edgeComponent[$0] < edgeComponent[$1] }
        fill(&slot, n, -1)
        var start = 0
        while start < order.count {
            var end = start
            let comp = edgeComponent[order[start]]
            while end < order.count && edgeComponent[order[end]] == comp { end += 1 }
            solveComponent(edges: edges, range: start..<end, rows: rows, limit: limit, into: &pairs)
            start = end
        }
        return pairs
    }

    private mutating func solveComponent(edges: [AssignmentEdge], range: Range<Int>, rows: Int, limit: Double,
                                         into pairs: inout [(row: Int, col: Int)]) {
        componentRows.removeAll(keepingCapacity: true)
        componentCols.removeAll(keepingCapacity: true)
        for k in range {
            let e = edges[order[k]]
            let r = Int(e.row), c = rows + Int(e.col)
            if slot[r] < 0 { slot[r] = Int32(componentRows.count); componentRows.append(e.row) }
            if slot[c] < 0 { slot[c] = Int32(componentCols.count); componentCols.append(e.col) }
        }
        let nr = componentRows.count, nc = componentCols.count
        let width = nc + nr // real columns, then one "unmatched" column per row
        let forbidden = limit + 1
        sub.removeAll(keepingCapacity: true)
        for _ in 0..<nr {
            sub.append(contentsOf: repeatElement(forbidden, count: nc))
            sub.append(contentsOf: repeatElement(limit, count: nr))
        }
        for k in range {
            let e = edges[order[k]]
            sub[Int(slot[Int(e.row)]) * width + Int(slot[rows + Int(e.col)])] = e.cost
        }
        let assignment = solver.solve(cost: sub, rows: nr, cols: width)
        for (i, j) in assignment.enumerated() where j >= 0 && j < nc && sub[i * width + j] < limit {
            pairs.append((Int(componentRows[i]), Int(componentCols[j])))
        }
        for r in componentRows { slot[Int(r)] = -1 }
        for c in componentCols { slot[rows + Int(c)] = -1 }
    }

    private mutating func find(_ x: Int) -> Int {
        var x = x
        while Int(parent[x]) != x { parent[x] = parent[Int(parent[x])]; x = Int(parent[x]) }
        return x
    }

    private mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        if ra != rb { parent[ra] = Int32(rb) }
    }

    private func fill<T>(_ array: inout [T], _ count: Int, _ value: T) {
        if array.count >= count {
            for k in 0..<count { array[k] = value }
        } else {
            array = [T](repeating: value, count: count)
        }
    }
}
