public import VigilCore

/// A point in the plane a rule is drawn in: source pixels (x right, y down) or map metres.
public struct Point: Hashable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// Where rules place an object: image pixels, or the site map (metres) of a camera whose `reidentify`
/// stage knows a homography (the track's `map_x`/`map_y`, its foot point on the ground).
public enum Space: String, Sendable, CaseIterable {
    case pixels, map
}

/// The point of a box that counts for a rule, computed from the unclipped box.
public enum Anchor: String, Sendable, CaseIterable {
    case bottomCenter = "bottom_center"
    case center
    case topCenter = "top_center"

    public func point(of box: BoundingBox) -> Point {
        switch self {
        case .bottomCenter: Point(box.centerX, box.maxY)
        case .center: Point(box.centerX, box.centerY)
        case .topCenter: Point(box.centerX, box.y)
        }
    }
}

/// A simple polygon (at least three corners, any winding).
public struct Polygon: Hashable, Sendable {
    public let corners: [Point]
    /// Bounding box, to reject far points without visiting the edges.
    private let minX: Double, minY: Double, maxX: Double, maxY: Double

    public init(_ corners: [Point]) {
        self.corners = corners
        minX = corners.map(\.x).min() ?? 0; maxX = corners.map(\.x).max() ?? 0
        minY = corners.map(\.y).min() ?? 0; maxY = corners.map(\.y).max() ?? 0
    }

    /// Even-odd rule (a point exactly on an edge may fall either way).
    public func contains(_ p: Point) -> Bool {
        guard corners.count >= 3, p.x >= minX, p.x <= maxX, p.y >= minY, p.y <= maxY else { return false }
        return corners.withUnsafeBufferPointer { c in
            var inside = false
            var j = c.count - 1
            for i in 0..<c.count {
                let a = c[i], b = c[j]
                if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
                j = i
            }
            return inside
        }
    }

    /// Twice the signed area; zero for a degenerate polygon.
    var doubleArea: Double {
        var sum = 0.0
        for i in corners.indices {
            let a = corners[i], b = corners[(i + 1) % corners.count]
            sum += a.x * b.y - b.x * a.y
        }
        return sum
    }
}

/// A directed segment from `a` to `b`.
public struct Segment: Hashable, Sendable {
    public var a: Point
    public var b: Point
    public init(_ a: Point, _ b: Point) { self.a = a; self.b = b }

    public var length: Double { ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot() }

    /// Signed distance of `p` from the infinite line through the segment: positive on the right of
    /// a→b as seen on an image (x right, y down), negative on its left.
    public func signedDistance(_ p: Point) -> Double {
        let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)
        return cross / max(length, 1e-12)
    }

    /// Whether the path from `p` to `q` meets this segment (endpoints included).
    public func intersects(_ p: Point, _ q: Point) -> Bool {
        func orient(_ u: Point, _ v: Point, _ w: Point) -> Double { (v.x - u.x) * (w.y - u.y) - (v.y - u.y) * (w.x - u.x) }
        func onSegment(_ u: Point, _ v: Point, _ w: Point) -> Bool {
            min(u.x, v.x) - 1e-9 <= w.x && w.x <= max(u.x, v.x) + 1e-9 && min(u.y, v.y) - 1e-9 <= w.y && w.y <= max(u.y, v.y) + 1e-9
        }
        let d1 = orient(p, q, a), d2 = orient(p, q, b), d3 = orient(a, b, p), d4 = orient(a, b, q)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
        if abs(d1) < 1e-9 && onSegment(p, q, a) { return true }
        if abs(d2) < 1e-9 && onSegment(p, q, b) { return true }
        if abs(d3) < 1e-9 && onSegment(a, b, p) { return true }
        if abs(d4) < 1e-9 && onSegment(a, b, q) { return true }
        return false
    }
}
