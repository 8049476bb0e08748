import Testing
@testable import VigilTracking
import VigilTesting

/// Minimum total cost over all assignments of min(rows, cols) pairs, by enumeration.
func bruteForce(_ cost: [Double], rows: Int, cols: Int) -> Double {
    var best = Double.infinity
    var usedCols = [Bool](repeating: false, count: cols)
    var usedRows = [Bool](repeating: false, count: rows)
    let k = min(rows, cols)
    func go(_ r: Int, _ placed: Int, _ sum: Double) {
        if placed == k { best = min(best, sum); return }
        if r == rows || rows - r < k - placed { return }
        if rows > cols { go(r + 1, placed, sum) } // row r left out
        for c in 0..<cols where !usedCols[c] {
            usedCols[c] = true; usedRows[r] = true
            go(r + 1, placed + 1, sum + cost[r * cols + c])
            usedCols[c] = false; usedRows[r] = false
        }
    }
    go(0, 0, 0)
    return best
}

/// Best gated matching value: sum over chosen pairs of (cost - limit), pairs only below the limit.
func bruteForceGated(_ cost: [Double], rows: Int, cols: Int, limit: Double) -> Double {
    var best = 0.0
    var usedCols = [Bool](repeating: false, count: cols)
    func go(_ r: Int, _ sum: Double) {
        if r == rows { best = min(best, sum); return }
        go(r + 1, sum)
        for c in 0..<cols where !usedCols[c] && cost[r * cols + c] < limit {
            usedCols[c] = true
            go(r + 1, sum + cost[r * cols + c] - limit)
            usedCols[c] = false
        }
    }
    go(0, 0)
    return best
}

@Test func assignmentMatchesBruteForceOnRandomRectangularMatrices() {
    var rng = SplitMix(state: 42)
    var solver = LinearAssignmentSolver()
    for trial in 0..<300 {
        let rows = Int.random(in: 1...6, using: &rng), cols = Int.random(in: 1...6, using: &rng)
        // Integer costs make ties common, which is where solvers go wrong.
        let cost = (0..<(rows * cols)).map { _ in trial % 2 == 0 ? Double(Int.random(in: 0...5, using: &rng))
                                                                 : Double.random(in: 0...1, using: &rng) }
        let result = solver.solve(cost: cost, rows: rows, cols: cols)
        #expect(result.count == rows)
        let assigned = result.filter { $0 >= 0 }
        #expect(assigned.count == min(rows, cols))
        #expect(Set(assigned).count == assigned.count, "a column used twice")
        let total = result.enumerated().reduce(0.0) { $1.element >= 0 ? $0 + cost[$1.offset * cols + $1.element] : $0 }
        #expect(abs(total - bruteForce(cost, rows: rows, cols: cols)) < 1e-9, "trial \(trial): \(rows)x\(cols)")
    }
}

@Test func gatedAssignmentIsOptimalAndRespectsTheGate() {
    var rng = SplitMix(state: 7)
    var matcher = GatedAssignment()
    for trial in 0..<300 {
        let rows = Int.random(in: 0...6, using: &rng), cols = Int.random(in: 0...6, using: &rng)
        let cost = (0..<(rows * cols)).map { _ in Double.random(in: 0...1.5, using: &rng) }
        let limit = 0.8
        let pairs = matcher.match(cost: cost, rows: rows, cols: cols, limit: limit)
        #expect(Set(pairs.map(\.row)).count == pairs.count)
        #expect(Set(pairs.map(\.col)).count == pairs.count)
        #expect(pairs.allSatisfy { cost[$0.row * cols + $0.col] < limit })
        let value = pairs.reduce(0.0) { $0 + cost[$1.row * cols + $1.col] - limit }
        #expect(abs(value - bruteForceGated(cost, rows: rows, cols: cols, limit: limit)) < 1e-9, "trial \(trial)")
    }
}
