import DequeModule

/// The webhook sink's queue and retry decisions as a pure state machine (no I/O, no clock, no random
/// numbers: the caller passes `now` in seconds and the jitter, and performs the returned actions).
///
/// Deliveries wait in a bounded queue (`queueCapacity` counts every delivery not yet finished: waiting
/// for a worker, in flight, or waiting out a backoff). An event that finds it full is dead-lettered at
/// once, so the pipeline never waits for the receiver. Workers ask ``nextAction(now:)`` for work; at
/// most `concurrency` attempts are in flight. After a failed attempt the delivery either waits out its
/// backoff (or the receiver's `Retry-After`) and goes back in line, or is given up. When the input ends
/// the queue gets `drainTimeout` more seconds; a delivery that cannot be attempted again before then is
/// given up at once rather than waited for, and whatever is left at the deadline is given up.
struct DeliveryStateMachine: Sendable {
    struct Configuration: Sendable, Hashable {
        var maxAttempts: Int
        var queueCapacity: Int
        var concurrency: Int
        /// Seconds one attempt may take.
        var attemptTimeout: Double
        var backoff: Backoff
        /// A `Retry-After` longer than this is shortened to it.
        var maxRetryAfter: Double = 3600

        init(maxAttempts: Int = 5, queueCapacity: Int = 1000, concurrency: Int = 4, attemptTimeout: Double = 10,
             backoff: Backoff = Backoff(initial: 0.5, maximum: 30), maxRetryAfter: Double = 3600) {
            self.maxAttempts = max(1, maxAttempts); self.queueCapacity = max(1, queueCapacity)
            self.concurrency = max(1, concurrency); self.attemptTimeout = attemptTimeout
            self.backoff = backoff; self.maxRetryAfter = maxRetryAfter
        }
    }

    enum Action: Sendable {
        /// Make one attempt of this delivery, giving up on it after `timeout` seconds.
        case deliver(Delivery, timeout: Double)
        /// Write these to the dead-letter file.
        case deadLetter([DeadLetter])
        /// Nothing to do before this time (a backoff ends, or the drain deadline) unless woken.
        case sleep(until: Double)
        /// Nothing to do until woken (an event arrives, an attempt ends).
        case wait
        /// The input has ended and every delivery is finished: the worker may stop.
        case finished
    }

    /// What to do once an attempt has ended.
    enum Completion: Sendable {
        case delivered(Delivery)
        /// Back in line after `delay` seconds.
        case retry(Delivery, delay: Double)
        case deadLetter(DeadLetter)
        /// The delivery had already been given up (the run ended while it was in flight).
        case ignored
    }

    let configuration: Configuration
    private var ready = Deque<Delivery>()
    /// Deliveries waiting out a backoff, with the time they may go again.
    private var backingOff: [(due: Double, delivery: Delivery)] = []
    private var inFlight: [Int: Delivery] = [:]
    private(set) var inputFinished = false
    private(set) var drainDeadline: Double?

    init(configuration: Configuration) { self.configuration = configuration }

    /// Deliveries not finished: queued, in flight or backing off.
    var pending: Int { ready.count + backingOff.count + inFlight.count }
    var inFlightCount: Int { inFlight.count }

    /// Takes a new delivery, or hands it back as a dead letter when the queue is full. Never waits.
    mutating func enqueue(_ delivery: Delivery) -> DeadLetter? {
        guard !inputFinished else {
            return DeadLetter(delivery: delivery, reason: .runEnded, error: "the sink's input had already ended")
        }
        guard pending < configuration.queueCapacity else {
            return DeadLetter(delivery: delivery, reason: .queueFull,
                              error: "the queue already held \(configuration.queueCapacity) deliveries")
        }
        ready.append(delivery)
        return nil
    }

    /// The input ended at `now`: deliveries get until `now + drainTimeout`.
    mutating func finishInput(now: Double, drainTimeout: Double) {
        guard !inputFinished else { return }
        inputFinished = true
        drainDeadline = now + max(0, drainTimeout)
    }

    mutating func nextAction(now: Double) -> Action {
        if let deadline = drainDeadline {
            // Whatever cannot be attempted again before the deadline is given up now, not waited for.
            var late: [DeadLetter] = []
            if now >= deadline {
                late = ready.map { Self.runEnded($0) }
                ready.removeAll()
            }
            backingOff.removeAll { entry in
                guard now >= deadline || entry.due >= deadline else { return false }
                late.append(Self.runEnded(entry.delivery))
                return true
            }
            if !late.isEmpty { return .deadLetter(late) }
        }
        // Backoffs that ended go back in line, earliest first.
        if backingOff.contains(where: { $0.due <= now }) {
            backingOff.sort { $0.due < $1.due }
            while let first = backingOff.first, first.due <= now {
                ready.append(first.delivery)
                backingOff.removeFirst()
            }
        }
        if inFlight.count < configuration.concurrency, var delivery = ready.popFirst() {
            delivery.attempts += 1
            inFlight[delivery.id] = delivery
            var timeout = configuration.attemptTimeout
            if let deadline = drainDeadline { timeout = max(0, min(timeout, deadline - now)) }
            return .deliver(delivery, timeout: timeout)
        }
        if inputFinished, pending == 0 { return .finished }
        if inFlight.count < configuration.concurrency, let due = backingOff.map(\.due).min() {
            return .sleep(until: drainDeadline.map { min($0, due) } ?? due)
        }
        return .wait
    }

    /// Records how an attempt of delivery `id` ended; `jitter` is a uniform random number in [0, 1).
    mutating func attemptFinished(id: Int, outcome: AttemptOutcome, now: Double, jitter: Double) -> Completion {
        guard var delivery = inFlight.removeValue(forKey: id) else { return .ignored }
        if case .answered(let status, _, _) = outcome { delivery.lastStatus = status } else { delivery.lastStatus = nil }
        switch outcome.verdict {
        case .delivered:
            delivery.lastError = nil
            return .delivered(delivery)
        case .reject:
            delivery.lastError = outcome.message
            return .deadLetter(DeadLetter(delivery: delivery, reason: .rejected, error: outcome.message))
        case .retry:
            delivery.lastError = outcome.message
            if delivery.attempts >= configuration.maxAttempts {
                return .deadLetter(DeadLetter(delivery: delivery, reason: .attemptsExhausted,
                                              error: "\(delivery.attempts) attempts failed; the last: \(outcome.message)"))
            }
            var delay = configuration.backoff.delay(afterAttempts: delivery.attempts, jitter: jitter)
            if case .answered(_, let retryAfter?, _) = outcome { delay = min(retryAfter, configuration.maxRetryAfter) }
            if let deadline = drainDeadline, now + delay >= deadline {
                return .deadLetter(Self.runEnded(delivery))
            }
            backingOff.append((now + delay, delivery))
            return .retry(delivery, delay: delay)
        }
    }

    /// Gives up every unfinished delivery, in flight or not (the drain deadline passed, or the sink was
    /// cancelled). Attempts still running are reported later as ``Completion/ignored``.
    mutating func abandonAll() -> [DeadLetter] {
        var all = inFlight.values.sorted { $0.id < $1.id } + ready + backingOff.map(\.delivery)
        all.sort { $0.id < $1.id }
        inFlight.removeAll(); ready.removeAll(); backingOff.removeAll()
        return all.map { Self.runEnded($0) }
    }

    private static func runEnded(_ delivery: Delivery) -> DeadLetter {
        var error = "the run ended before it was delivered"
        if let last = delivery.lastError {
            error += " (after \(delivery.attempts) attempt\(delivery.attempts == 1 ? "" : "s"); the last: \(last))"
        }
        return DeadLetter(delivery: delivery, reason: .runEnded, error: error)
    }
}
