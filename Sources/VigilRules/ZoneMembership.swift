/// Whether one object is in one zone, with hysteresis in media time: inside once its anchor has been
/// in the polygon for `minInside` seconds, outside again once it has been out for `minOutside`. A box
/// that jumps into the zone for one frame enters nothing. Pure: no I/O, driven by frame times.
struct ZoneMembership {
    enum Transition: Equatable {
        /// The object entered at `at`: the first frame of the inside stretch that lasted `minInside`.
        case entered(at: Double)
        /// The object left at `at`: the first frame of the outside stretch that lasted `minOutside`;
        /// it had entered at `entered`.
        case exited(at: Double, entered: Double)
    }

    let minInside: Double
    let minOutside: Double
    private(set) var isInside = false
    /// When the current stretch of the opposite state began.
    private var pendingSince: Double?
    /// When the object entered (while inside).
    private(set) var enteredAt: Double?
    /// The last frame its anchor was in the polygon (dwell is measured to it, not to the confirmed exit).
    private(set) var lastInsideAt: Double?

    init(minInside: Double, minOutside: Double) {
        self.minInside = minInside
        self.minOutside = minOutside
    }

    mutating func observe(inside raw: Bool, at time: Double) -> Transition? {
        if raw { lastInsideAt = time }
        guard raw != isInside else {
            pendingSince = nil
            return nil
        }
        let since = pendingSince ?? time
        pendingSince = since
        guard reached(time - since, raw ? minInside : minOutside) else { return nil }
        isInside = raw
        pendingSince = nil
        if raw {
            enteredAt = since
            return .entered(at: since)
        }
        defer { enteredAt = nil }
        return .exited(at: since, entered: enteredAt ?? since)
    }

    /// The object is gone (its track ended): an object inside leaves at `time`, its last sighting.
    mutating func vanish(at time: Double) -> Transition? {
        pendingSince = nil
        guard isInside else { return nil }
        isInside = false
        defer { enteredAt = nil }
        return .exited(at: time, entered: enteredAt ?? time)
    }
}
