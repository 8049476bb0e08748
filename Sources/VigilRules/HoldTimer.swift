/// A condition that must hold `forSeconds` to start an alert and its release condition `clearFor`
/// to end it, in media time. `crowd`, `absence` and `metric` rules are this timer over different
/// conditions. Pure: no I/O.
struct HoldTimer {
    enum Edge: Equatable {
        /// The condition has held since `since`; the alert starts now.
        case start(since: Double)
        /// The release condition has held since `since`; the alert ends now.
        case end(since: Double)
    }

    let forSeconds: Double
    let clearFor: Double
    private(set) var active = false
    private var onSince: Double?
    private var offSince: Double?

    init(forSeconds: Double, clearFor: Double) {
        self.forSeconds = forSeconds
        self.clearFor = clearFor
    }

    /// `on`: the start condition holds on this frame; `off`: the release condition holds.
    mutating func observe(on: Bool, off: Bool, at time: Double) -> Edge? {
        if !active {
            guard on else {
                onSince = nil
                return nil
            }
            let since = onSince ?? time
            onSince = since
            guard reached(time - since, forSeconds) else { return nil }
            active = true
            onSince = nil
            offSince = nil
            return .start(since: since)
        }
        guard off else {
            offSince = nil
            return nil
        }
        let since = offSince ?? time
        offSince = since
        guard reached(time - since, clearFor) else { return nil }
        active = false
        offSince = nil
        return .end(since: since)
    }

    /// Ends an active alert whatever the condition (end of the stream, the subject gone).
    mutating func reset() -> Bool {
        defer { active = false; onSince = nil; offSince = nil }
        return active
    }
}

/// Whether `elapsed` media seconds reach `threshold`. Frame times are sums and quotients of decimals
/// (`13 / 10 + 1`), so an exact comparison would put a 1 s hold one frame late.
@inline(__always)
func reached(_ elapsed: Double, _ threshold: Double) -> Bool { elapsed >= threshold - 1e-6 }
