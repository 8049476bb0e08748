/// How long a failed job waits before its next attempt: exponential in the attempt (the way Oban and
/// River back off), capped, with up to ±10% jitter so jobs that failed together do not retry together.
public struct Backoff: Sendable, Equatable {
    public var base: Double
    public var cap: Double

    public init(base: Double = 2, cap: Double = 3_600) { self.base = base; self.cap = cap }

    /// Seconds to wait after failed attempt `attempt` (1 for the first); `unit` in 0...1 picks the jitter.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Double {
        let exponent = Double(max(attempt, 1) - 1)
        let raw = min(cap, base * pow2(exponent))
        return max(0, raw * (0.9 + 0.2 * min(max(unit, 0), 1)))
    }

    private func pow2(_ exponent: Double) -> Double { exponent >= 30 ? Double(1 << 30) : Double(1 << Int(exponent)) }
}
