import Testing
import VigilMedia

@Suite("Reconnect state machine (no I/O)")
struct ReconnectStateMachineTests {
    typealias Machine = ReconnectStateMachine
    let policy = Machine.Policy(initialDelay: 1, maxDelay: 8, multiplier: 2, jitter: 0, resetAfter: 30)

    @Test func fileEndsOnceAndFailsOnError() {
        var m = Machine(mode: .once, policy: policy)
        #expect(m.start(now: 0) == .connect)
        #expect(m.connectSucceeded(now: 0) == .none)
        #expect(m.frameReceived(now: 1) == .none)
        #expect(m.streamEnded(now: 2) == .finish)
        #expect(m.isDone)

        var failing = Machine(mode: .once, policy: policy)
        _ = failing.start(now: 0)
        #expect(failing.connectFailed(now: 0) == .fail)
        var dropping = Machine(mode: .once, policy: policy)
        _ = dropping.start(now: 0); _ = dropping.connectSucceeded(now: 0)
        #expect(dropping.streamFailed(now: 3) == .fail)
    }

    @Test func liveBacksOffExponentiallyUpToTheMaximum() {
        var m = Machine(mode: .live, policy: policy)
        #expect(m.start(now: 0) == .connect)
        var delays: [Double] = []
        var now = 0.0
        for _ in 0..<6 {
            guard case .wait(let d) = m.connectFailed(now: now) else { Issue.record("expected a wait"); return }
            delays.append(d)
            now += d
            #expect(m.waitElapsed(now: now) == .connect)
        }
        #expect(delays == [1, 2, 4, 8, 8, 8])
        #expect(m.consecutiveFailures == 6)
    }

    @Test func jitterStaysWithinItsFraction() {
        let low = Machine.Policy(initialDelay: 10, maxDelay: 100, multiplier: 2, jitter: 0.2)
        var a = Machine(mode: .live, policy: low, random: { 0 })
        var b = Machine(mode: .live, policy: low, random: { 0.999_999 })
        _ = a.start(now: 0); _ = b.start(now: 0)
        #expect(a.connectFailed(now: 0) == .wait(seconds: 8))
        guard case .wait(let high) = b.connectFailed(now: 0) else { Issue.record("expected a wait"); return }
        #expect(abs(high - 12) < 1e-3)
    }

    @Test func dropReconnectsAndReportsTheGapOnTheFirstNewFrame() {
        var m = Machine(mode: .live, policy: policy)
        _ = m.start(now: 0)
        _ = m.connectSucceeded(now: 0)
        #expect(m.frameReceived(now: 1) == .none)
        #expect(m.frameReceived(now: 2) == .none)
        #expect(m.streamEnded(now: 2.5) == .wait(seconds: 1))         // peer closed: reconnect
        #expect(m.waitElapsed(now: 3.5) == .connect)
        #expect(m.connectFailed(now: 3.6) == .wait(seconds: 2))       // still down
        #expect(m.waitElapsed(now: 5.6) == .connect)
        #expect(m.connectSucceeded(now: 5.7) == .none)
        #expect(m.reconnects == 1)
        #expect(m.frameReceived(now: 6) == .reportGap(seconds: 4, since: 2))
        #expect(m.frameReceived(now: 6.1) == .none)                   // reported once
    }

    @Test func aHealthyStretchResetsTheBackoff() {
        var m = Machine(mode: .live, policy: policy)
        _ = m.start(now: 0)
        for _ in 0..<3 { _ = m.connectFailed(now: 0); _ = m.waitElapsed(now: 0) }   // next delay would be 8
        _ = m.connectSucceeded(now: 10)
        _ = m.frameReceived(now: 11)
        #expect(m.streamFailed(now: 20) == .wait(seconds: 8))           // short stretch: keeps backing off
        _ = m.waitElapsed(now: 28)
        _ = m.connectSucceeded(now: 28)
        _ = m.frameReceived(now: 70)                                    // 42 s of streaming
        #expect(m.streamFailed(now: 71) == .wait(seconds: 1))
    }

    @Test func loopRestartsAtTheEndWithoutGapOrDelay() {
        var m = Machine(mode: .loop, policy: policy)
        _ = m.start(now: 0); _ = m.connectSucceeded(now: 0)
        _ = m.frameReceived(now: 1)
        #expect(m.streamEnded(now: 4) == .connect)
        _ = m.connectSucceeded(now: 4)
        #expect(m.frameReceived(now: 4.1) == .none)
        #expect(m.streamFailed(now: 5) == .fail)
    }

    @Test func stopFinishesFromAnyState() {
        var m = Machine(mode: .live, policy: policy)
        _ = m.start(now: 0)
        _ = m.connectFailed(now: 0)
        #expect(m.stop() == .finish)
        #expect(m.waitElapsed(now: 5) == .none)
        #expect(m.isDone)
    }
}

@Suite("Timestamps, sampling and the source clock")
struct TimingTests {
    @Test func normalizerFillsMissingAndForcesIncrease() {
        var n = TimestampNormalizer(timeBase: 0.001, origin: 1000, nominalFrameDuration: 0.04)
        #expect(n.seconds(pts: 1000) == 0)
        #expect(n.seconds(pts: 1040) == 0.04)
        #expect(abs(n.seconds(pts: nil) - 0.08) < 1e-9)                // missing: previous + nominal duration
        #expect(abs(n.seconds(pts: nil, duration: 20) - 0.1) < 1e-9)   // missing: previous + its own duration
        let repeated = n.seconds(pts: 1100)
        #expect(repeated > 0.1 && repeated <= 0.101 + 1e-9)                     // not moving forward: nudged past
        #expect(n.seconds(pts: 1160) == 0.16)
    }

    @Test func normalizerWithoutOriginStartsAtTheFirstTimestamp() {
        var n = TimestampNormalizer(timeBase: 1.0 / 90000, origin: nil, nominalFrameDuration: 0.1)
        #expect(n.seconds(pts: 900_000) == 0)
        #expect(abs(n.seconds(pts: 909_000) - 0.1) < 1e-9)
    }

    @Test func samplerKeepsOneFramePerSlot() {
        var s = FrameSampler(fps: 10)
        let times = (0..<300).map { Double($0) / 30 }          // 30 fps for 10 s
        let kept = times.filter { s.shouldKeep(time: $0) }
        #expect(kept.count == 100)
        var all = FrameSampler(fps: nil)
        #expect(times.allSatisfy { all.shouldKeep(time: $0) })
        var jumpy = FrameSampler(fps: 1)
        #expect([0, 0.5, 5.2, 5.9, 6.1].map { jumpy.shouldKeep(time: $0) } == [true, false, true, false, true])
    }

    @Test func clockContinuesAcrossSessions() {
        var c = SourceClock()
        #expect(c.time(sessionTime: 0) == 0)
        #expect(c.time(sessionTime: 0.1) == 0.1)
        c.beginSession(gap: 0, frameDuration: 0.1)                // a loop restart
        #expect(abs(c.time(sessionTime: 0) - 0.2) < 1e-9)
        c.beginSession(gap: 3, frameDuration: 0.1)                // a reconnect after 3 s without frames
        #expect(abs(c.time(sessionTime: 7.5) - 3.2) < 1e-9)
        #expect(abs(c.time(sessionTime: 7.6) - 3.3) < 1e-9)
    }
}
