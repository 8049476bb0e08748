/// The side of a line one object is on, and its crossings. The anchor's signed distance from the line
/// decides the side, with a dead band of `band` around it where the object is on neither. A crossing
/// counts only when the object held the old side for `minSideTime` and then the new side for
/// `minSideTime`: a flicker shorter than that counts nothing, in either direction. Unless `extended`,
/// the path from the last point on the old side to the first on the new one must meet the segment.
struct LineCrossingState {
    enum Side: Equatable { case left, right }

    struct Crossing: Equatable {
        var from: Side
        var to: Side
        /// The first frame on the new side.
        var at: Double
    }

    let line: Segment
    let band: Double
    let minSideTime: Double
    let extended: Bool

    /// The side held for at least `minSideTime`.
    private(set) var held: Side?
    private var lastOnHeld: Point?
    private var candidate: (side: Side, since: Double, first: Point)?

    init(line: Segment, band: Double, minSideTime: Double, extended: Bool) {
        self.line = line; self.band = band; self.minSideTime = minSideTime; self.extended = extended
    }

    mutating func observe(_ point: Point, at time: Double) -> Crossing? {
        let d = line.signedDistance(point)
        guard abs(d) > band else { return nil }   // in the dead band: on neither side
        let side: Side = d > 0 ? .right : .left
        if side == held {
            candidate = nil
            lastOnHeld = point
            return nil
        }
        guard let current = candidate, current.side == side else {
            candidate = (side, time, point)
            if minSideTime > 0 { return nil }
            return observe(point, at: time)
        }
        guard reached(time - current.since, minSideTime) else { return nil }
        let previous = held
        let path = (lastOnHeld, current.first)
        held = side
        lastOnHeld = point
        candidate = nil
        guard let from = previous, let start = path.0 else { return nil }
        if !extended && !line.intersects(start, path.1) { return nil }
        return Crossing(from: from, to: side, at: current.since)
    }
}

/// Which crossings a `line_cross` rule counts. `in` is from the left of a→b to its right, as seen on the
/// image (x right, y down); `out` the other way.
enum CrossingDirection: String, Sendable, CaseIterable {
    case `in`, out, both

    func counts(_ crossing: LineCrossingState.Crossing) -> Bool {
        switch self {
        case .both: true
        case .in: crossing.from == .left
        case .out: crossing.from == .right
        }
    }

    static func of(_ crossing: LineCrossingState.Crossing) -> CrossingDirection { crossing.from == .left ? .in : .out }
}
