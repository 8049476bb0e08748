import Foundation
import Testing
import VigilCore
@testable import VigilWebhook

/// The queue and retry decisions, without I/O: every time is passed in, and so is every jitter.
@Suite("Webhook delivery state machine")
struct DeliveryStateMachineTests {
    func machine(maxAttempts: Int = 5, queue: Int = 10, concurrency: Int = 2, timeout: Double = 10,
                 backoff: Backoff = Backoff(initial: 1, maximum: 8)) -> DeliveryStateMachine {
        DeliveryStateMachine(configuration: .init(maxAttempts: maxAttempts, queueCapacity: queue, concurrency: concurrency,
                                                  attemptTimeout: timeout, backoff: backoff))
    }

    func delivery(_ id: Int) -> Delivery {
        Delivery(id: id, event: Event(time: MediaTime(seconds: Double(id)), sourceID: "cam", rule: "r", kind: "k", message: "m"),
                 body: "{\"n\":\(id)}", key: "key-\(id)")
    }

    /// Takes the next delivery; fails the test when the machine has something else to do.
    func take(_ m: inout DeliveryStateMachine, now: Double, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> (Delivery, Double)? {
        guard case .deliver(let d, let timeout) = m.nextAction(now: now) else {
            Issue.record("expected a delivery at \(now)", sourceLocation: sourceLocation)
            return nil
        }
        return (d, timeout)
    }

    static let serverError = AttemptOutcome.answered(status: 500, retryAfter: nil, message: "500")
    static let refused = AttemptOutcome.failed(message: "connection refused")
    static let ok = AttemptOutcome.answered(status: 204, retryAfter: nil, message: "204")

    @Test func aFullQueueHandsTheEventBackAsADeadLetterAtOnce() {
        var m = machine(queue: 2)
        #expect(m.enqueue(delivery(0)) == nil)
        #expect(m.enqueue(delivery(1)) == nil)
        let overflow = m.enqueue(delivery(2))
        #expect(overflow?.reason == .queueFull)
        #expect(overflow?.delivery.id == 2)
        #expect(overflow?.delivery.attempts == 0)
        #expect(m.pending == 2)
        // In-flight and backing-off deliveries count too: the bound is on everything unfinished.
        _ = take(&m, now: 0)
        #expect(m.enqueue(delivery(3))?.reason == .queueFull)
    }

    @Test func neverMoreThanConcurrencyInFlight() {
        var m = machine(concurrency: 2)
        for i in 0..<3 { #expect(m.enqueue(delivery(i)) == nil) }
        #expect(take(&m, now: 0)?.0.id == 0)
        #expect(take(&m, now: 0)?.0.id == 1)
        guard case .wait = m.nextAction(now: 0) else { Issue.record("a third attempt started"); return }
        guard case .delivered = m.attemptFinished(id: 0, outcome: Self.ok, now: 1, jitter: 0) else { Issue.record("not delivered"); return }
        #expect(take(&m, now: 1)?.0.id == 2)
    }

    @Test(arguments: [500, 502, 503, 599, 408, 429])
    func retryableAnswersBackOffExponentiallyWithJitter(status: Int) {
        var m = machine(backoff: Backoff(initial: 1, maximum: 8))
        _ = m.enqueue(delivery(0))
        var now = 0.0
        // Nominal waits 1, 2, 4, 8 (capped); jitter scales each into [half, whole).
        for (attempt, (jitter, expected)) in [(0.0, 0.5), (0.5, 1.5), (0.999, 3.998), (0.0, 4.0)].enumerated() {
            guard case let (d, _)? = take(&m, now: now) else { return }
            #expect(d.attempts == attempt + 1)
            let outcome = AttemptOutcome.answered(status: status, retryAfter: nil, message: "\(status)")
            guard case .retry(let retried, let delay) = m.attemptFinished(id: 0, outcome: outcome, now: now, jitter: jitter) else {
                Issue.record("attempt \(attempt + 1) was not retried"); return
            }
            #expect(abs(delay - expected) < 1e-9)
            #expect(retried.lastStatus == status)
            // Not before the backoff ends.
            guard case .sleep(let until) = m.nextAction(now: now + delay / 2) else { Issue.record("not sleeping"); return }
            #expect(abs(until - (now + delay)) < 1e-9)
            now += delay
        }
        guard case let (last, _)? = take(&m, now: now) else { return }
        #expect(last.attempts == 5)
    }

    @Test func retryAfterIsHonouredInsteadOfTheBackoff() {
        var m = machine(backoff: Backoff(initial: 1, maximum: 8))
        _ = m.enqueue(delivery(0))
        _ = take(&m, now: 10)
        let busy = AttemptOutcome.answered(status: 429, retryAfter: 20, message: "429")
        guard case .retry(_, let delay) = m.attemptFinished(id: 0, outcome: busy, now: 10, jitter: 0.3) else {
            Issue.record("not retried"); return
        }
        #expect(delay == 20)
        guard case .sleep(until: 30) = m.nextAction(now: 29.9) else { Issue.record("not sleeping until 30"); return }
        #expect(take(&m, now: 30)?.0.attempts == 2)
    }

    @Test func anAbsurdRetryAfterIsShortened() {
        var m = machine()
        _ = m.enqueue(delivery(0))
        _ = take(&m, now: 0)
        let outcome = AttemptOutcome.answered(status: 503, retryAfter: 86_400, message: "503")
        guard case .retry(_, let delay) = m.attemptFinished(id: 0, outcome: outcome, now: 0, jitter: 0) else {
            Issue.record("not retried"); return
        }
        #expect(delay == m.configuration.maxRetryAfter)
    }

    @Test(arguments: [400, 401, 403, 404, 410, 413, 422, 301, 302])
    func otherClientErrorsAndRedirectsFailAtOnce(status: Int) {
        var m = machine()
        _ = m.enqueue(delivery(0))
        _ = take(&m, now: 0)
        let outcome = AttemptOutcome.answered(status: status, retryAfter: nil, message: "the receiver answered \(status)")
        guard case .deadLetter(let letter) = m.attemptFinished(id: 0, outcome: outcome, now: 0, jitter: 0) else {
            Issue.record("\(status) was not given up"); return
        }
        #expect(letter.reason == .rejected)
        #expect(letter.delivery.attempts == 1)
        #expect(letter.delivery.lastStatus == status)
        #expect(letter.error == "the receiver answered \(status)")
        #expect(m.pending == 0)
    }

    @Test func connectionErrorsAreRetriedUntilMaxAttempts() {
        var m = machine(maxAttempts: 3, backoff: Backoff(initial: 0.1, maximum: 1))
        _ = m.enqueue(delivery(7))
        var now = 0.0
        for attempt in 1...3 {
            guard case let (d, _)? = take(&m, now: now) else { return }
            #expect(d.attempts == attempt)
            let completion = m.attemptFinished(id: 7, outcome: Self.refused, now: now, jitter: 0.5)
            switch completion {
            case .retry(_, let delay) where attempt < 3: now += delay
            case .deadLetter(let letter) where attempt == 3:
                #expect(letter.reason == .attemptsExhausted)
                #expect(letter.delivery.attempts == 3)
                #expect(letter.error == "3 attempts failed; the last: connection refused")
                #expect(letter.delivery.lastStatus == nil)
            default: Issue.record("attempt \(attempt): unexpected \(completion)")
            }
        }
        m.finishInput(now: now, drainTimeout: 10)
        guard case .finished = m.nextAction(now: now) else { Issue.record("not finished"); return }
    }

    @Test func afterTheInputEndsNothingWaitsBeyondTheDrainDeadline() {
        var m = machine(concurrency: 1, timeout: 10, backoff: Backoff(initial: 4, maximum: 4))
        for i in 0..<3 { _ = m.enqueue(delivery(i)) }
        _ = take(&m, now: 0)
        m.finishInput(now: 0, drainTimeout: 5)
        // Attempt timeouts end at the deadline.
        guard case .retry = m.attemptFinished(id: 0, outcome: Self.refused, now: 0, jitter: 0) else { Issue.record("not retried"); return }
        guard case let (second, timeout)? = take(&m, now: 1) else { return }
        #expect(second.id == 1 && timeout == 4)
        // A retry that would come after the deadline is given up now instead of waited for.
        guard case .deadLetter(let late) = m.attemptFinished(id: 1, outcome: Self.serverError, now: 2, jitter: 0.5) else {
            Issue.record("a retry after the deadline was scheduled"); return
        }
        #expect(late.reason == .runEnded)
        #expect(late.error.contains("the last: 500"))
        // Delivery 0's backoff (2s) is over: it goes back in line, behind delivery 2.
        guard case let (third, _)? = take(&m, now: 2) else { return }
        #expect(third.id == 2)
        guard case .wait = m.nextAction(now: 4) else { Issue.record("expected to wait for the attempt in flight"); return }
        _ = m.attemptFinished(id: 2, outcome: Self.ok, now: 4.5, jitter: 0)
        // At the deadline, whatever has not been attempted again is given up.
        guard case .deadLetter(let rest) = m.nextAction(now: 5) else { Issue.record("delivery 0 was not given up"); return }
        #expect(rest.map(\.delivery.id) == [0])
        #expect(rest.map(\.delivery.attempts) == [1])
        #expect(rest.map(\.reason) == [.runEnded])
        guard case .finished = m.nextAction(now: 5) else { Issue.record("not finished"); return }
    }

    @Test func abandoningGivesUpDeliveriesInFlightToo() {
        var m = machine(concurrency: 1)
        for i in 0..<3 { _ = m.enqueue(delivery(i)) }
        _ = take(&m, now: 0)
        m.finishInput(now: 0, drainTimeout: 1)
        let letters = m.abandonAll()
        #expect(letters.map(\.delivery.id) == [0, 1, 2])
        #expect(letters.allSatisfy { $0.reason == .runEnded })
        #expect(letters[0].delivery.attempts == 1)
        // The attempt that was in flight ends later: it is not counted twice.
        guard case .ignored = m.attemptFinished(id: 0, outcome: Self.ok, now: 0.5, jitter: 0) else { Issue.record("not ignored"); return }
        guard case .finished = m.nextAction(now: 0.5) else { Issue.record("not finished"); return }
    }

    @Test func theMachineFinishesOnlyOnceTheInputEndedAndNothingIsPending() {
        var m = machine()
        guard case .wait = m.nextAction(now: 0) else { Issue.record("finished before the input ended"); return }
        _ = m.enqueue(delivery(0))
        m.finishInput(now: 0, drainTimeout: 10)
        #expect(m.enqueue(delivery(1))?.reason == .runEnded)
        _ = take(&m, now: 0)
        guard case .wait = m.nextAction(now: 0) else { Issue.record("finished with an attempt in flight"); return }
        _ = m.attemptFinished(id: 0, outcome: Self.ok, now: 0, jitter: 0)
        guard case .finished = m.nextAction(now: 0) else { Issue.record("not finished"); return }
    }
}

@Suite("Webhook backoff and Retry-After")
struct BackoffTests {
    @Test func nominalWaitsDoubleUpToTheMaximum() {
        let b = Backoff(initial: 0.5, maximum: 30)
        // jitter 1 would be the nominal wait itself: [half, whole).
        #expect((1...8).map { b.delay(afterAttempts: $0, jitter: 1) } == [0.5, 1, 2, 4, 8, 16, 30, 30])
        #expect(b.delay(afterAttempts: 3, jitter: 0) == 1)
        #expect(b.delay(afterAttempts: 10_000, jitter: 0) == 15)
    }

    @Test func retryAfterReadsSecondsAndHTTPDates() throws {
        let now = try #require(ISO8601DateFormatter().date(from: "2015-10-21T07:27:30Z"))
        #expect(RetryAfter.seconds("120", now: now) == 120)
        #expect(RetryAfter.seconds(" 0 ", now: now) == 0)
        #expect(RetryAfter.seconds("-5", now: now) == nil)
        #expect(RetryAfter.seconds("soon", now: now) == nil)
        #expect(RetryAfter.seconds("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == 30)
        #expect(RetryAfter.seconds("Wednesday, 21-Oct-15 07:28:00 GMT", now: now) == 30)
        #expect(RetryAfter.seconds("Wed Oct 21 07:28:00 2015", now: now) == 30)
        #expect(RetryAfter.seconds("Tue, 20 Oct 2015 07:28:00 GMT", now: now) == 0)
    }
}
