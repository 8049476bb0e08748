/// Minimum-cost assignment on a dense rectangular cost matrix: the shortest augmenting path method of
/// Jonker and Volgenant in the form Crouse describes ("On implementing 2D rectangular assignment
/// algorithms", 2016), the same algorithm as SciPy's `linear_sum_assignment`.
///
/// Every row is assigned when rows <= columns (every column otherwise). Scratch memory is kept between
/// calls, so a solver owned by a tracker allocates nothing per frame in steady state.
public struct LinearAssignmentSolver: Sendable {
    private var u: [Double] = []
    private var v: [Double] = []
    private var shortest: [Double] = []
    private var path: [Int] = []
    private var col4row: [Int] = []
    private var row4col: [Int] = []
    private var usedRows: [Bool] = []
    private var usedCols: [Bool] = []
    private var remaining: [Int] = []
    private var transposed: [Double] = []

    public init() {}

    /// Solves `cost` (row-major, `rows x cols`, finite values). Returns for each row the assigned
    /// column, or -1 when the row is left out (only possible when rows > columns).
    public mutating func solve(cost: [Double], rows: Int, cols: Int) -> [Int] {
        precondition(cost.count == rows * cols, "cost matrix must hold rows * cols values")
        if rows == 0 || cols == 0 { return [Int](repeating: -1, count: rows) }
        if rows <= cols {
            return cost.withUnsafeBufferPointer { solveWide($0, rows: rows, cols: cols) }
        }
        // More rows than columns: solve the transpose, then invert the answer.
        transposed.removeAll(keepingCapacity: true)
        transposed.reserveCapacity(rows * cols)
        for c in 0..<cols { for r in 0..<rows { transposed.append(cost[r * cols + c]) } }
        let t = transposed
        let colToRow = t.withUnsafeBufferPointer { solveWide($0, rows: cols, cols: rows) }
        var out = [Int](repeating: -1, count: rows)
        for (c, r) in colToRow.enumerated() where r >= 0 { out[r] = c }
        return out
    }

    /// Rows <= cols: every row gets a column.
    private mutating func solveWide(_ cost: UnsafeBufferPointer<Double>, rows nr: Int, cols nc: Int) -> [Int] {
        reset(&u, nr, 0); reset(&v, nc, 0)
        reset(&path, nc, -1); reset(&col4row, nr, -1); reset(&row4col, nc, -1)
        reset(&shortest, nc, .infinity); reset(&usedRows, nr, false); reset(&usedCols, nc, false)
        reset(&remaining, nc, 0)

        for curRow in 0..<nr {
            var minVal = 0.0
            var i = curRow
            var numRemaining = nc
            for it in 0..<nc { remaining[it] = nc - it - 1 }
            for r in 0..<nr { usedRows[r] = false }
            for c in 0..<nc { usedCols[c] = false; shortest[c] = .infinity }
            var sink = -1
            while sink == -1 {
                var index = -1
                var lowest = Double.infinity
                usedRows[i] = true
                let base = i * nc
                let ui = u[i]
                for it in 0..<numRemaining {
                    let j = remaining[it]
                    let r = minVal + cost[base + j] - ui - v[j]
                    if r < shortest[j] { path[j] = i; shortest[j] = r }
                    let s = shortest[j]
                    if s < lowest || (s == lowest && row4col[j] == -1) { lowest = s; index = it }
                }
                minVal = lowest
                if index < 0 || minVal == .infinity { break } // cannot happen with finite costs
                let j = remaining[index]
                if row4col[j] == -1 { sink = j } else { i = row4col[j] }
                usedCols[j] = true
                numRemaining -= 1
                remaining[index] = remaining[numRemaining]
            }
            guard sink >= 0 else { continue }
            u[curRow] += minVal
            for r in 0..<nr where usedRows[r] && r != curRow { u[r] += minVal - shortest[col4row[r]] }
            for c in 0..<nc where usedCols[c] { v[c] -= minVal - shortest[c] }
            var j = sink
            while true {
                let r = path[j]
                row4col[j] = r
                let previous = col4row[r]
                col4row[r] = j
                j = previous
                if r == curRow { break }
            }
        }
        return Array(col4row)
    }

    private func reset<T>(_ array: inout [T], _ count: Int, _ value: T) {
        if array.count == count {
            for k in 0..<count { array[k] = value }
        } else {
            array = [T](repeating: value, count: count)
        }
    }
}
