/// A plane-to-plane projective map (image pixels -> site map metres), estimated from point pairs with
/// the normalised direct linear transform (Hartley & Zisserman, algorithm 4.2).
public struct Homography: Sendable, Hashable {
    /// Row-major 3x3 matrix, scaled so that the last element is 1 where possible.
    public let matrix: [Double]

    public struct Point: Sendable, Hashable {
        public var x: Double
        public var y: Double
        public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    }

    /// Why a set of point pairs cannot define a homography.
    public struct EstimationError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(matrix: [Double]) {
        precondition(matrix.count == 9)
        self.matrix = matrix
    }

    /// Estimates the homography taking `from[i]` to `to[i]`. Needs at least 4 pairs; rejects
    /// duplicate points, 4 points with 3 on a line, all points on one line, and unstable solutions.
    public init(from source: [Point], to target: [Point]) throws(EstimationError) {
        guard source.count == target.count else {
            throw EstimationError(message: "image and map need the same number of points (\(source.count) vs \(target.count))")
        }
        guard source.count >= 4 else {
            throw EstimationError(message: "a homography needs at least 4 point pairs, found \(source.count)")
        }
        try Self.checkGeneralPosition(source, name: "image")
        try Self.checkGeneralPosition(target, name: "map")
        let (ns, ts) = Self.normalise(source)
        let (nt, tt) = Self.normalise(target)
        // A^T A of the DLT system, accumulated directly (9x9).
        var ata = [Double](repeating: 0, count: 81)
        for (p, q) in zip(ns, nt) {
            let r1: [Double] = [-p.x, -p.y, -1, 0, 0, 0, q.x * p.x, q.x * p.y, q.x]
            let r2: [Double] = [0, 0, 0, -p.x, -p.y, -1, q.y * p.x, q.y * p.y, q.y]
            for i in 0..<9 { for j in 0..<9 { ata[i * 9 + j] += r1[i] * r1[j] + r2[i] * r2[j] } }
        }
        let (values, vectors) = SymmetricEigen.jacobi(ata, n: 9)
        var order = Array(0..<9)
        order.sort { values[$0] < values[$1] }
        let smallest = values[order[0]], next = values[order[1]]
        guard next > 1e-9, smallest <= next * 1e-3 || source.count > 4 else {
            throw EstimationError(message: "the point pairs do not determine a unique homography; spread the points over the ground plane")
        }
        let h = (0..<9).map { vectors[$0 * 9 + order[0]] }
        // Undo the normalisation: H = T_target^-1 * Hn * T_source.
        let denorm = Self.multiply(Self.multiply(Self.inverseSimilarity(tt), h), ts)
        let det = Self.determinant(denorm)
        guard det.isFinite, abs(det) > 1e-12 * pow3(Self.frobenius(denorm)) else {
            throw EstimationError(message: "the estimated homography is singular; check that the points are not on one line")
        }
        let scale = abs(denorm[8]) > 1e-12 ? denorm[8] : Self.frobenius(denorm)
        matrix = denorm.map { $0 / scale }
    }

    /// Maps a point; `nil` when it lands on the horizon (behind the camera).
    public func apply(_ x: Double, _ y: Double) -> Point? {
        let m = matrix
        let w = m[6] * x + m[7] * y + m[8]
        guard abs(w) > 1e-12 else { return nil }
        let px = (m[0] * x + m[1] * y + m[2]) / w, py = (m[3] * x + m[4] * y + m[5]) / w
        return px.isFinite && py.isFinite ? Point(px, py) : nil
    }

    // MARK: Helpers

    static func checkGeneralPosition(_ points: [Point], name: String) throws(EstimationError) {
        let (normalised, _) = normalise(points)
        for i in 0..<points.count {
            guard points[i].x.isFinite, points[i].y.isFinite else {
                throw EstimationError(message: "\(name) point \(i + 1) is not a finite number")
            }
            for j in (i + 1)..<max(i + 1, points.count) {
                let dx = normalised[i].x - normalised[j].x, dy = normalised[i].y - normalised[j].y
                if dx * dx + dy * dy < 1e-6 {
                    throw EstimationError(message: "\(name) points \(i + 1) and \(j + 1) are the same point (\(points[i].x), \(points[i].y))")
                }
            }
        }
        func collinear(_ a: Point, _ b: Point, _ c: Point) -> Bool {
            abs((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)) < 1e-3
        }
        let n = normalised
        if points.count == 4 {
            for (a, b, c) in [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)] where collinear(n[a], n[b], n[c]) {
                throw EstimationError(message: "\(name) points \(a + 1), \(b + 1) and \(c + 1) lie on one line; "
                                      + "pick 4 points with no 3 in a line")
            }
        } else {
            // All on one line: every point is collinear with the two farthest apart.
            var (ia, ib, best) = (0, 1, -1.0)
            for i in 0..<n.count { for j in (i + 1)..<n.count {
                let d = (n[i].x - n[j].x) * (n[i].x - n[j].x) + (n[i].y - n[j].y) * (n[i].y - n[j].y)
                if d > best { (ia, ib, best) = (i, j, d) }
            } }
            if n.indices.allSatisfy({ collinear(n[ia], n[ib], n[$0]) }) {
                throw EstimationError(message: "all \(name) points lie on one line; spread them over the ground plane")
            }
        }
    }

    /// Hartley normalisation: centroid to the origin, mean distance sqrt(2). Returns points and (s, tx, ty).
    static func normalise(_ points: [Point]) -> ([Point], (Double, Double, Double)) {
        let n = Double(points.count)
        let cx = points.reduce(0) { $0 + $1.x } / n, cy = points.reduce(0) { $0 + $1.y } / n
        let mean = points.reduce(0) { $0 + ((($1.x - cx) * ($1.x - cx) + ($1.y - cy) * ($1.y - cy))).squareRoot() } / n
        let s = mean > 0 ? 2.0.squareRoot() / mean : 1
        return (points.map { Point(($0.x - cx) * s, ($0.y - cy) * s) }, (s, -cx * s, -cy * s))
    }

    /// As a matrix [[s,0,tx],[0,s,ty],[0,0,1]] applied on the right.
    static func multiply(_ a: [Double], _ t: (Double, Double, Double)) -> [Double] {
        multiply(a, [t.0, 0, t.1, 0, t.0, t.2, 0, 0, 1])
    }

    static func inverseSimilarity(_ t: (Double, Double, Double)) -> [Double] {
        let (s, tx, ty) = t
        return [1 / s, 0, -tx / s, 0, 1 / s, -ty / s, 0, 0, 1]
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var c = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j] } } }
        return c
    }

    static func determinant(_ m: [Double]) -> Double {
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
    }

    static func frobenius(_ m: [Double]) -> Double { m.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}

private func pow3(_ x: Double) -> Double { x * x * x }

/// Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.
enum SymmetricEigen {
    /// Returns eigenvalues and the eigenvectors as the columns of a row-major `n x n` matrix.
    static func jacobi(_ input: [Double], n: Int) -> ([Double], [Double]) {
        var a = input
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p * n + q] * a[p * n + q] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<n {
                    let apq = a[p * n + q]
                    if abs(apq) < 1e-300 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }
}
