import Testing
import VigilServer

/// Every instant is injected: `start + offset`. Nothing sleeps and nothing reads the wall clock.
private let start = ContinuousClock.now

private func at(_ offset: Duration) -> ContinuousClock.Instant { start + offset }

@Suite struct TokenBucketTests {
    @Test func aFullBucketAllowsABurstOfItsCapacityThenSaysHowLongToWait() {
        var bucket = TokenBucket(.init(5, per: .seconds(60)), at: at(.zero))
        for _ in 0..<5 { #expect(bucket.take(at: at(.zero)) == .allowed) }
        #expect(bucket.tokens(at: at(.zero)) == 0)
        // One token every 12 s.
        #expect(bucket.take(at: at(.zero)) == .wait(.seconds(12)))
        #expect(bucket.take(at: at(.seconds(5))) == .wait(.seconds(7)))
    }

    @Test func tokensComeBackOneIntervalShareAtATimeAndNeverAboveCapacity() {
        var bucket = TokenBucket(.init(5, per: .seconds(60)), at: at(.zero))
        for _ in 0..<5 { _ = bucket.take(at: at(.zero)) }
        #expect(bucket.tokens(at: at(.seconds(11))) == 0)
        #expect(bucket.tokens(at: at(.seconds(12))) == 1)
        #expect(bucket.tokens(at: at(.seconds(36))) == 3)
        #expect(!bucket.isFull(at: at(.seconds(59))))
        #expect(bucket.isFull(at: at(.seconds(60))))
        // Idle for an hour: still only 5.
        #expect(bucket.tokens(at: at(.seconds(3600))) == 5)
        for _ in 0..<5 { #expect(bucket.take(at: at(.seconds(3600))) == .allowed) }
        #expect(bucket.take(at: at(.seconds(3600))) == .wait(.seconds(12)))
    }

    @Test func aRefusedTakeChangesNothing() {
        var bucket = TokenBucket(.init(1, per: .seconds(10)), at: at(.zero))
        #expect(bucket.take(at: at(.zero)) == .allowed)
        let before = bucket
        #expect(bucket.take(at: at(.seconds(4))) == .wait(.seconds(6)))
        #expect(bucket == before)
        #expect(bucket.take(at: at(.seconds(10))) == .allowed)
    }

    @Test func waitsAreExactBelowASecond() {
        var bucket = TokenBucket(.init(3, per: .seconds(1)), at: at(.zero))
        for _ in 0..<3 { _ = bucket.take(at: at(.zero)) }
        // One token every third of a second, to the attosecond.
        #expect(bucket.check(at: at(.milliseconds(100))) == .wait(.seconds(1) / 3 - .milliseconds(100)))
    }
}

@Suite struct RateLimiterTests {
    let policy = RateLimitPolicy(buckets: [.init(1, per: .seconds(1)), .init(5, per: .seconds(60)), .init(20, per: .seconds(3600))])

    @Test func theShortestBucketLimitsABurst() {
        let limiter = RateLimiter(policy: policy)
        #expect(limiter.attempt("10.0.0.1", now: at(.zero)) == .allowed)
        #expect(limiter.attempt("10.0.0.1", now: at(.milliseconds(250))) == .limited(retryAfter: .milliseconds(750)))
        #expect(limiter.attempt("10.0.0.1", now: at(.seconds(1))) == .allowed)
    }

    @Test func keysAreLimitedApart() {
        let limiter = RateLimiter(policy: policy)
        #expect(limiter.attempt("a", now: at(.zero)) == .allowed)
        #expect(limiter.attempt("b", now: at(.zero)) == .allowed)
        #expect(limiter.attempt("a", now: at(.zero)) != .allowed)
    }

    @Test func combinedBucketsRetryAfterTheLongestWaitOfTheRefusingBuckets() {
        let limiter = RateLimiter(policy: policy)
        // One a second for five seconds empties the 5-per-minute bucket (one token back every 12 s).
        for second in 0..<5 { #expect(limiter.attempt("k", now: at(.seconds(second))) == .allowed) }
        // At 4.5 s both refuse: the second bucket for 0.5 s, the minute bucket (next token at 12 s) for 7.5 s.
        #expect(limiter.attempt("k", now: at(.milliseconds(4500))) == .limited(retryAfter: .milliseconds(7500)))
        // At 5 s only the minute bucket refuses.
        #expect(limiter.attempt("k", now: at(.seconds(5))) == .limited(retryAfter: .seconds(7)))
        #expect(limiter.attempt("k", now: at(.seconds(12))) == .allowed)
    }

    @Test func aRefusedAttemptConsumesNothingFromAnyBucket() {
        let limiter = RateLimiter(policy: RateLimitPolicy(buckets: [.init(1, per: .seconds(1)), .init(3, per: .seconds(60))]))
        #expect(limiter.attempt("k", now: at(.zero)) == .allowed)
        // Hammering while the 1-per-second bucket refuses must not drain the 3-per-minute bucket.
        for tenth in 1..<10 { #expect(limiter.attempt("k", now: at(.milliseconds(100 * tenth))) != .allowed) }
        #expect(limiter.attempt("k", now: at(.seconds(1))) == .allowed)
        #expect(limiter.attempt("k", now: at(.seconds(2))) == .allowed)
        // Three taken: the minute bucket is empty now, its first token is back at 20 s.
        #expect(limiter.attempt("k", now: at(.seconds(3))) == .limited(retryAfter: .seconds(17)))
    }

    @Test func theHourBucketGivesBackOneTokenEvery180Seconds() {
        let limiter = RateLimiter(policy: policy)
        // One every 12 s never trips the first two buckets; 20 takes by 228 s empty the hour bucket, which
        // has one token back at 180 s and the next at 360 s.
        for n in 0..<20 { #expect(limiter.attempt("k", now: at(.seconds(12 * n))) == .allowed) }
        #expect(limiter.attempt("k", now: at(.seconds(240))) == .allowed)
        #expect(limiter.attempt("k", now: at(.seconds(252))) == .limited(retryAfter: .seconds(108)))
        #expect(limiter.attempt("k", now: at(.seconds(360))) == .allowed)
    }

    @Test func resetGivesAKeyFullBucketsAgain() {
        let limiter = RateLimiter(policy: policy)
        for second in 0..<5 { _ = limiter.attempt("alice", now: at(.seconds(second))) }
        #expect(limiter.attempt("alice", now: at(.seconds(5))) != .allowed)
        limiter.reset("alice")
        #expect(limiter.attempt("alice", now: at(.seconds(5))) == .allowed)
        #expect(limiter.trackedKeys == 1)
    }

    @Test func keysWhoseBucketsAreFullAgainAreForgotten() {
        let limiter = RateLimiter(policy: policy)
        for n in 0..<1000 { #expect(limiter.attempt("10.0.\(n / 256).\(n % 256)", now: at(.zero)) == .allowed) }
        #expect(limiter.trackedKeys == 1000)
        // Just before the hour bucket is full again, every key is still tracked...
        _ = limiter.attempt("other", now: at(.seconds(3599)))
        #expect(limiter.trackedKeys == 1001)
        // ...and at the hour every key that was not used since is dropped.
        _ = limiter.attempt("other", now: at(.seconds(3600)))
        #expect(limiter.trackedKeys == 1)
        // A forgotten key starts over with full buckets.
        #expect(limiter.attempt("10.0.0.0", now: at(.seconds(3600))) == .allowed)
    }

    @Test func aKeyIsForgottenOneLongestIntervalAfterItsLastTake() {
        let limiter = RateLimiter(policy: policy)
        for n in 0..<5 { _ = limiter.attempt("busy", now: at(.seconds(12 * n))) }
        // Its last take was at 48 s: it stays tracked until 3648 s, when every bucket is surely full.
        _ = limiter.attempt("other", now: at(.seconds(3600)))
        #expect(limiter.trackedKeys == 2)
        _ = limiter.attempt("other", now: at(.seconds(3647)))
        #expect(limiter.trackedKeys == 2)
        _ = limiter.attempt("other", now: at(.seconds(3648)))
        #expect(limiter.trackedKeys == 1)
    }

    @Test func pastTheKeyCapNewKeysShareOneOverflowBudget() {
        let limiter = RateLimiter(policy: RateLimitPolicy(buckets: [.init(2, per: .seconds(60))], maximumKeys: 100))
        for n in 0..<100 { #expect(limiter.attempt("tracked-\(n)", now: at(.zero)) == .allowed) }
        #expect(limiter.trackedKeys == 100)
        // A flood of new keys: memory stays at the cap and the flood gets two attempts in all, not two each.
        var allowed = 0
        for n in 0..<10_000 where limiter.attempt("flood-\(n)", now: at(.seconds(1))) == .allowed { allowed += 1 }
        #expect(allowed == 2)
        #expect(limiter.trackedKeys == 100)
        #expect(limiter.overflowed == 10_000)
        // The flood did not push out or refill a tracked key: it has one token left, then must wait.
        #expect(limiter.attempt("tracked-7", now: at(.seconds(1))) == .allowed)
        #expect(limiter.attempt("tracked-7", now: at(.seconds(1))) == .limited(retryAfter: .seconds(29)))
    }

    @Test func theTableMakesRoomOnceTrackedKeysAreFullAgain() {
        let limiter = RateLimiter(policy: RateLimitPolicy(buckets: [.init(2, per: .seconds(60))], maximumKeys: 10))
        for n in 0..<10 { _ = limiter.attempt("old-\(n)", now: at(.zero)) }
        _ = limiter.attempt("new", now: at(.seconds(30)))
        #expect(limiter.overflowed == 1)
        #expect(limiter.attempt("newer", now: at(.seconds(60))) == .allowed)
        #expect(limiter.trackedKeys == 1)
        #expect(limiter.overflowed == 1)
    }

}
