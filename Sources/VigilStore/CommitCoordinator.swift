import VigilCore
import Synchronization

/// Shares one ``CommitStateMachine`` between the sink's consumer (which appends rows as messages
/// arrive) and its committer task (which writes sealed batches), and parks either side when it must
/// wait: the committer for data, the consumer for buffer space while the database is unreachable.
final class CommitCoordinator<Payload: Sendable>: Sendable {
    private struct State: ~Copyable {
        var machine: CommitStateMachine<Payload>
        var committerWaiter: CheckedContinuation<Void, Never>?
        var wakePending = false
        var spaceWaiter: CheckedContinuation<Void, Never>?
        var failure: (any Error & Sendable)?
    }

    private let state: Mutex<State>
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init(machine: CommitStateMachine<Payload>) {
        self.state = Mutex(State(machine: machine))
        self.start = clock.now
    }

    /// Seconds since the coordinator was made: the state machine's clock.
    var now: Double {
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    var committedSeq: Int { state.withLock { $0.machine.committedSeq } }
    var committedRows: Int { state.withLock { $0.machine.committedRows } }
    var bufferedRows: Int { state.withLock { $0.machine.bufferedRows } }
    var hasFailed: Bool { state.withLock { $0.failure != nil } }
    var retryFor: Double { state.withLock { $0.machine.configuration.retryFor } }

    // MARK: Consumer side

    /// Adds a message's rows; suspends while the buffer is full. Throws once the committer has failed.
    func append(_ key: StreamKey, time: Double, rows: Int, fill: (inout Payload) -> Void) async throws {
        let now = self.now
        let (action, wake, failure): (CommitStateMachine<Payload>.AppendAction, CheckedContinuation<Void, Never>?, (any Error & Sendable)?) =
            state.withLock { s in
                if let failure = s.failure { return (.none, nil, failure) }
                let wasEmpty = !s.machine.hasPendingMessages
                let action = s.machine.append(key, time: time, rows: rows, now: now, fill: fill)
                // The committer needs waking only when a batch was sealed or the first rows arrived
                // (it then sleeps until the batch's age runs out).
                return (action, action != .none || wasEmpty ? Self.takeWaiter(&s) : nil, nil)
            }
        if let failure { throw failure }
        wake?.resume()
        if action == .waitForSpace { try await waitForSpace() }
    }

    func finishInput() {
        let wake = state.withLock { s in
            s.machine.finishInput()
            return Self.takeWaiter(&s)
        }
        wake?.resume()
    }

    private func waitForSpace() async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.failure != nil || s.machine.hasSpace { return true }
                s.spaceWaiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// The committer gave up: release a waiting consumer and make further appends throw.
    func fail(_ error: any Error & Sendable) {
        let waiter = state.withLock { s in
            s.failure = error
            let w = s.spaceWaiter
            s.spaceWaiter = nil
            return w
        }
        waiter?.resume()
    }

    // MARK: Committer side

    func nextAction() -> CommitStateMachine<Payload>.Action {
        let now = self.now
        return state.withLock { $0.machine.nextAction(now: now) }
    }

    func commitSucceeded(seq: Int) {
        let waiter = state.withLock { s in
            s.machine.commitSucceeded(seq: seq)
            return Self.takeSpaceWaiter(&s)
        }
        waiter?.resume()
    }

    func commitFailed(seq: Int, transient: Bool) -> CommitStateMachine<Payload>.FailureAction {
        let now = self.now
        return state.withLock { $0.machine.commitFailed(seq: seq, transient: transient, now: now) }
    }

    func verified(seq: Int, lastCommittedBatch: Int) {
        let waiter = state.withLock { s in
            s.machine.verified(seq: seq, lastCommittedBatch: lastCommittedBatch)
            return Self.takeSpaceWaiter(&s)
        }
        waiter?.resume()
    }

    /// Suspends until the consumer signals new data or `seconds` pass.
    func waitForWake(timeout seconds: Double?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            if let seconds {
                group.addTask { try? await Task.sleep(for: .seconds(max(0, seconds))) }
            }
            await group.next()
            group.cancelAll()
            // Release a still-parked signal waiter so the group can finish.
            let waiter = self.state.withLock { s in
                let w = s.committerWaiter
                s.committerWaiter = nil
                return w
            }
            waiter?.resume()
        }
    }

    private func waitForSignal() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.wakePending || Task.isCancelled { s.wakePending = false; return true }
                s.committerWaiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private static func takeWaiter(_ s: inout State) -> CheckedContinuation<Void, Never>? {
        if let w = s.committerWaiter { s.committerWaiter = nil; return w }
        s.wakePending = true
        return nil
    }

    private static func takeSpaceWaiter(_ s: inout State) -> CheckedContinuation<Void, Never>? {
        guard s.machine.hasSpace, let w = s.spaceWaiter else { return nil }
        s.spaceWaiter = nil
        return w
    }
}
