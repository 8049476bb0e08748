import DequeModule
import Synchronization

/// Token buckets per key (a client address, an account), thread-safe. Each key gets the policy's buckets;
/// an attempt is allowed only when every bucket has a token, and then takes one from each. A refused
/// attempt takes nothing, so a client that keeps hammering is let in again as soon as the buckets allow.
///
/// Memory stays bounded:
/// - A key whose buckets are all full again says nothing that a new key would not, so it is dropped. Keys
///   are kept in the order of their last take; since every bucket is full again at most the policy's
///   longest interval after a take, the front of that queue is dropped as time passes (amortized O(1)).
/// - At most `policy.maximumKeys` keys are tracked. When the table is full of keys still draining and a new
///   key comes, the new key is not tracked alone: all such keys share one overflow set of buckets, so a
///   flood from a million addresses is limited as if it came from one. Keys already tracked keep their own
///   buckets, so the flood can neither push them out nor reset their budget (evicting the oldest key instead
///   would let an attacker refill any account's budget by churning keys); the price is that genuinely new
///   clients share the overflow budget with the flood until the table drains. `overflowed` counts them.
///
/// `reset(_:)` forgets a key: e.g. after a successful login, the account's *failure* budget may be given back.
/// Never reset a limiter of attempts by client address on success, or one valid account would let its
/// holder reset their own address's budget for guessing other accounts.
public final class RateLimiter: Sendable {
    public let policy: RateLimitPolicy

    private struct Entry {
        var buckets: [TokenBucket]
        /// The instant of the last take, also stored in `order`.
        var lastTake: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// (key, its last take) in the order taken; records whose instant no longer matches the entry are stale.
        var order: Deque<(key: String, taken: ContinuousClock.Instant)> = []
        var overflow: [TokenBucket]?
        var overflowed = 0
    }

    private let state = Mutex(State())

    public init(policy: RateLimitPolicy) {
        self.policy = policy
    }

    /// Allows and counts the attempt, or tells how long to wait before the next one could be allowed.
    public func attempt(_ key: String, now: ContinuousClock.Instant = .now) -> RateLimitDecision {
        state.withLock { state in
            evictFullKeys(&state, now: now)
            if var entry = state.entries[key] {
                let decision = take(&entry.buckets, now: now)
                if decision == .allowed {
                    entry.lastTake = now
                    state.order.append((key, now))
                    compactIfNeeded(&state)
                }
                state.entries[key] = entry
                return decision
            }
            var buckets = policy.buckets.map { TokenBucket($0, at: now) }
            if state.entries.count < policy.maximumKeys {
                let decision = take(&buckets, now: now)
                state.entries[key] = Entry(buckets: buckets, lastTake: now)
                state.order.append((key, now))
                compactIfNeeded(&state)
                return decision
            }
            state.overflowed += 1
            var shared = state.overflow ?? buckets
            let decision = take(&shared, now: now)
            state.overflow = shared
            return decision
        }
    }

    /// Forgets `key`'s buckets: its next attempt starts with full buckets.
    public func reset(_ key: String) {
        _ = state.withLock { $0.entries.removeValue(forKey: key) }
    }

    /// The keys tracked one by one (at most `policy.maximumKeys`).
    public var trackedKeys: Int { state.withLock { $0.entries.count } }

    /// Attempts of new keys that found the table full and used the shared overflow buckets.
    public var overflowed: Int { state.withLock { $0.overflowed } }

    // MARK: -

    /// Takes one token from every bucket, or none when any bucket is empty.
    private func take(_ buckets: inout [TokenBucket], now: ContinuousClock.Instant) -> RateLimitDecision {
        var longestWait: Duration?
        for bucket in buckets {
            if case .wait(let wait) = bucket.check(at: now) { longestWait = max(longestWait ?? wait, wait) }
        }
        if let longestWait { return .limited(retryAfter: longestWait) }
        for index in buckets.indices { _ = buckets[index].take(at: now) }
        return .allowed
    }

    /// Drops the keys whose last take lies a longest interval back: all their buckets are full again.
    private func evictFullKeys(_ state: inout State, now: ContinuousClock.Instant) {
        let horizon = policy.longestInterval
        while let first = state.order.first, first.taken + horizon <= now {
            state.order.removeFirst()
            guard let entry = state.entries[first.key], entry.lastTake == first.taken else { continue }
            if entry.buckets.allSatisfy({ $0.isFull(at: now) }) { state.entries.removeValue(forKey: first.key) }
        }
        if let overflow = state.overflow, overflow.allSatisfy({ $0.isFull(at: now) }) { state.overflow = nil }
    }

    /// Keeps `order` within twice the table (each take appends a record; stale ones are dropped here).
    private func compactIfNeeded(_ state: inout State) {
        guard state.order.count > 2 * state.entries.count + 64 else { return }
        let live = state.entries.map { (key: $0.key, taken: $0.value.lastTake) }.sorted { $0.taken < $1.taken }
        state.order = Deque(live)
    }
}
