import Foundation

/// When a source connects, waits and gives up — decided without doing any I/O (postgres-nio's
/// `ConnectionStateMachine` style): each event returns the action the caller must perform.
///
/// - `once` (files, batch runs): the end of the input finishes, any failure fails.
/// - `live` (network streams in stream mode): a failed connect, a dropped or stalled stream waits with
///   exponential backoff and jitter, then connects again; the first frame after a reconnect reports
///   the gap. A long enough healthy stretch resets the backoff.
/// - `loop` (a file played as a live stream): the end of the file connects again at once; failures fail.
public struct ReconnectStateMachine: Sendable {
    public enum Mode: Sendable, Hashable { case once, live, loop }

    public struct Policy: Sendable, Hashable {
        public var initialDelay: Double
        public var maxDelay: Double
        public var multiplier: Double
        /// Fraction of the delay randomised either way: 0.2 gives 80%...120%.
        public var jitter: Double
        /// A connection that streamed this long counts as healthy: the next failure starts over at `initialDelay`.
        public var resetAfter: Double

        public init(initialDelay: Double = 0.5, maxDelay: Double = 30, multiplier: Double = 2,
                    jitter: Double = 0.2, resetAfter: Double = 30) {
            self.initialDelay = initialDelay; self.maxDelay = maxDelay; self.multiplier = multiplier
            self.jitter = jitter; self.resetAfter = resetAfter
        }
    }

    public enum Action: Sendable, Hashable {
        /// Open the input.
        case connect
        /// Sleep this many seconds, then call ``waitElapsed(now:)``.
        case wait(seconds: Double)
        /// Emit a `stream_gap` event: no frames for `seconds` (the previous frame arrived at `since`).
        case reportGap(seconds: Double, since: Double)
        /// Nothing to do.
        case none
        /// The source is done.
        case finish
        /// Give up and surface the last error.
        case fail
    }

    private enum State: Sendable, Hashable {
        case idle
        case connecting
        case streaming(since: Double)
        case waiting
        case done
    }

    public let mode: Mode
    public let policy: Policy
    private let random: @Sendable () -> Double
    private var state: State = .idle
    /// Failures since the last healthy stretch; sets the next delay.
    public private(set) var consecutiveFailures = 0
    /// Successful connections after the first.
    public private(set) var reconnects = 0
    private var connectedOnce = false
    private var lastFrameAt: Double?
    private var gapPending = false

    /// `random` returns values in `0..<1` (injectable for tests).
    public init(mode: Mode, policy: Policy = Policy(), random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.mode = mode; self.policy = policy; self.random = random
    }

    public var isDone: Bool { state == .done }

    public mutating func start(now: Double) -> Action {
        guard state == .idle else { return .none }
        state = .connecting
        return .connect
    }

    public mutating func connectSucceeded(now: Double) -> Action {
        guard state == .connecting else { return .none }
        if connectedOnce { reconnects += 1 }
        connectedOnce = true
        state = .streaming(since: now)
        return .none
    }

    public mutating func connectFailed(now: Double) -> Action {
        guard state == .connecting else { return .none }
        return mode == .live ? backOff() : finish(.fail)
    }

    public mutating func frameReceived(now: Double) -> Action {
        guard case .streaming(let since) = state else { return .none }
        if now - since >= policy.resetAfter { consecutiveFailures = 0 }
        let previous = lastFrameAt
        lastFrameAt = now
        if gapPending, let previous {
            gapPending = false
            return .reportGap(seconds: now - previous, since: previous)
        }
        gapPending = false
        return .none
    }

    /// The input ended normally (end of file, or the peer closed a live stream).
    public mutating func streamEnded(now: Double) -> Action {
        guard case .streaming(let since) = state else { return .none }
        switch mode {
        case .once: return finish(.finish)
        case .loop:
            state = .connecting
            return .connect
        case .live:
            return dropped(now: now, since: since)
        }
    }

    /// The input failed while streaming (read error, stall past the read timeout).
    public mutating func streamFailed(now: Double) -> Action {
        guard case .streaming(let since) = state else { return .none }
        return mode == .live ? dropped(now: now, since: since) : finish(.fail)
    }

    public mutating func waitElapsed(now: Double) -> Action {
        guard state == .waiting else { return .none }
        state = .connecting
        return .connect
    }

    /// Asked to stop (shutdown): finish whatever the state.
    public mutating func stop() -> Action { finish(.finish) }

    /// The delay before reconnect attempt `failures` (0-based), before jitter.
    public func baseDelay(failures: Int) -> Double {
        min(policy.maxDelay, policy.initialDelay * pow(policy.multiplier, Double(failures)))
    }

    private mutating func dropped(now: Double, since: Double) -> Action {
        if now - since >= policy.resetAfter { consecutiveFailures = 0 }
        gapPending = true
        return backOff()
    }

    private mutating func backOff() -> Action {
        let base = baseDelay(failures: consecutiveFailures)
        consecutiveFailures += 1
        let factor = 1 + policy.jitter * (2 * random() - 1)
        state = .waiting
        return .wait(seconds: min(policy.maxDelay, max(0, base * factor)))
    }

    private mutating func finish(_ action: Action) -> Action {
        state = .done
        return action
    }
}
