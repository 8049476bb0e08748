import Synchronization

/// Shares one ``DeliveryStateMachine`` between the sink's run loop (which enqueues, never waiting) and
/// its delivery workers, and parks idle workers until something changes (an event arrives, an attempt
/// ends, the input ends) or their backoff sleep is over.
final class DeliveryCoordinator: Sendable {
    private struct State: ~Copyable {
        var machine: DeliveryStateMachine
        /// Bumped on every change a parked worker may care about; a worker parks only if it is unchanged
        /// since it asked for work, so no wake-up is lost.
        var generation = 0
        var parked: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Tokens released before their worker got to park.
        var released: Set<Int> = []
        var nextToken = 0
    }

    private let state: Mutex<State>
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init(machine: DeliveryStateMachine) {
        state = Mutex(State(machine: machine))
        start = clock.now
    }

    /// Seconds since the coordinator was made: the state machine's clock.
    var now: Double {
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    var pending: Int { state.withLock { $0.machine.pending } }

    // MARK: Run loop side

    /// Queues a delivery, or returns it as a dead letter when the queue is full.
    func enqueue(_ delivery: Delivery) -> DeadLetter? {
        let (rejected, waiters) = state.withLock { s in
            let rejected = s.machine.enqueue(delivery)
            return (rejected, rejected == nil ? Self.changed(&s) : [])
        }
        for waiter in waiters { waiter.resume() }
        return rejected
    }

    func finishInput(drainTimeout: Double) {
        let now = self.now
        let waiters = state.withLock { s in
            s.machine.finishInput(now: now, drainTimeout: drainTimeout)
            return Self.changed(&s)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Gives up everything unfinished and wakes every worker (which then finishes).
    func abandonAll() -> [DeadLetter] {
        let (letters, waiters) = state.withLock { s in (s.machine.abandonAll(), Self.changed(&s)) }
        for waiter in waiters { waiter.resume() }
        return letters
    }

    // MARK: Worker side

    /// The next thing a worker should do; suspends while there is nothing. Dead letters the machine
    /// produces on the way are handed to `deadLetter`. `nil` once the input has ended and every delivery is
    /// finished, or the task is cancelled.
    func next(deadLetter: ([DeadLetter]) -> Void) async -> (delivery: Delivery, timeout: Double)? {
        while !Task.isCancelled {
            let now = self.now
            let (action, generation) = state.withLock { s in (s.machine.nextAction(now: now), s.generation) }
            switch action {
            case .deliver(let delivery, let timeout): return (delivery, timeout)
            case .deadLetter(let letters): deadLetter(letters)
            case .sleep(let until): await park(ifStill: generation, timeout: until - now)
            case .wait: await park(ifStill: generation, timeout: nil)
            case .finished: return nil
            }
        }
        return nil
    }

    func attemptFinished(id: Int, outcome: AttemptOutcome) -> DeliveryStateMachine.Completion {
        let now = self.now
        let jitter = Double.random(in: 0..<1)
        let (completion, waiters) = state.withLock { s in
            (s.machine.attemptFinished(id: id, outcome: outcome, now: now, jitter: jitter), Self.changed(&s))
        }
        for waiter in waiters { waiter.resume() }
        return completion
    }

    // MARK: Parking

    private static func changed(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        s.generation &+= 1
        let waiters = Array(s.parked.values)
        s.released.formUnion(s.parked.keys)
        s.parked.removeAll()
        return waiters
    }

    /// Suspends until the state changes after `generation`, `timeout` seconds pass, or the task is cancelled.
    private func park(ifStill generation: Int, timeout: Double?) async {
        let token = state.withLock { s in
            defer { s.nextToken += 1 }
            return s.nextToken
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.suspend(token, ifStill: generation) }
            if let timeout {
                group.addTask { try? await Task.sleep(for: .seconds(max(0, timeout))) }
            }
            await group.next()
            group.cancelAll()
        }
        // Both children are done: forget the token whichever way it was released.
        state.withLock { s in
            s.released.remove(token)
            s.parked.removeValue(forKey: token)
        }
    }

    private func suspend(_ token: Int, ifStill generation: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.released.remove(token) != nil || s.generation != generation || Task.isCancelled { return true }
                    s.parked[token] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.release(token)
        }
    }

    /// Resumes the worker parked under `token`, or marks it released if it has not parked yet.
    private func release(_ token: Int) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let waiter = s.parked.removeValue(forKey: token) { return waiter }
            s.released.insert(token)
            return nil
        }
        waiter?.resume()
    }
}
