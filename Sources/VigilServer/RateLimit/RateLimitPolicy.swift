/// The buckets every key of a `RateLimiter` gets, applied together (an attempt must pass all of them), and
/// how many keys the limiter tracks at most:
///
///     RateLimitPolicy(buckets: [.init(1, per: .seconds(1)), .init(5, per: .seconds(60)), .init(20, per: .seconds(3600))])
public struct RateLimitPolicy: Sendable, Hashable {
    public var buckets: [TokenBucket.Rate]
    /// The most keys tracked one by one; past it, new keys share one set of buckets (see `RateLimiter`).
    public var maximumKeys: Int

    public init(buckets: [TokenBucket.Rate], maximumKeys: Int = 100_000) {
        precondition(!buckets.isEmpty, "a rate limit policy needs at least one bucket")
        precondition(maximumKeys > 0, "a rate limiter tracks at least one key")
        self.buckets = buckets
        self.maximumKeys = maximumKeys
    }

    /// After a take, every bucket is full again within the longest interval.
    var longestInterval: Duration { buckets.map(\.interval).max()! }
}

/// What `RateLimiter.attempt` decided.
public enum RateLimitDecision: Sendable, Equatable {
    case allowed
    /// Refused; the attempt would be allowed after `retryAfter` (the longest wait of the refusing buckets).
    case limited(retryAfter: Duration)
}
