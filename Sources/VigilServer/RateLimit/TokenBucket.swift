/// A token bucket as a value: `capacity` tokens, refilled evenly at `capacity` per `interval` (one token every
/// `interval / capacity`), never above `capacity`. A full bucket allows a burst of `capacity` takes.
///
/// It keeps one instant, the theoretical arrival time of the generic cell rate algorithm (GCRA, RFC 2475's
/// token bucket in one number): the instant at which the bucket would be full again. So it is exact (no
/// fractional tokens, no rounding of waits), costs no timer, and the caller supplies every instant.
public struct TokenBucket: Sendable, Equatable {
    /// `capacity` tokens per `interval`: `.init(5, per: .seconds(60))`.
    public struct Rate: Sendable, Hashable, CustomStringConvertible {
        public var capacity: Int
        public var interval: Duration

        public init(_ capacity: Int, per interval: Duration) {
            precondition(capacity > 0, "a token bucket holds at least one token")
            precondition(interval > .zero, "a token bucket refills over a positive interval")
            self.capacity = capacity
            self.interval = interval
        }

        /// The time one token takes to come back.
        public var tokenInterval: Duration { interval / capacity }

        public var description: String { "\(capacity) per \(interval)" }
    }

    public enum Result: Sendable, Equatable {
        /// A token was (or could be) taken.
        case allowed
        /// No token now; one is there after this wait.
        case wait(Duration)
    }

    public let rate: Rate
    /// When the bucket is full again; at or before now, it is full.
    private var fullAt: ContinuousClock.Instant

    /// A full bucket.
    public init(_ rate: Rate, at now: ContinuousClock.Instant) {
        self.rate = rate
        fullAt = now
    }

    /// Whether a token could be taken at `now`, without taking it.
    public func check(at now: ContinuousClock.Instant) -> Result {
        // A take is allowed while the bucket lacks at most capacity - 1 tokens.
        let earliest = fullAt - rate.tokenInterval * (rate.capacity - 1)
        return now >= earliest ? .allowed : .wait(earliest - now)
    }

    /// Takes a token if there is one; a refused take changes nothing.
    public mutating func take(at now: ContinuousClock.Instant) -> Result {
        let result = check(at: now)
        if result == .allowed { fullAt = max(fullAt, now) + rate.tokenInterval }
        return result
    }

    /// Whether every token is back at `now` (such a bucket says nothing a new one would not).
    public func isFull(at now: ContinuousClock.Instant) -> Bool { fullAt <= now }

    /// The whole tokens in the bucket at `now`.
    public func tokens(at now: ContinuousClock.Instant) -> Int {
        guard fullAt > now else { return rate.capacity }
        let missing = (fullAt - now) / rate.tokenInterval
        return max(0, rate.capacity - Int(missing.rounded(.up)))
    }
}
