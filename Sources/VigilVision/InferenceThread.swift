import Foundation
import Synchronization
import VigilCore

/// A dedicated OS thread for inference, so that a 10-50 ms forward pass neither blocks a thread of Swift's
/// cooperative pool nor waits behind other tasks. Jobs run one at a time in submission order; the caller
/// keeps a small number of them in flight and awaits their ``InferenceTicket``s, which is what lets the
/// pre- and post-processing of neighbouring frames overlap inference.
final class InferenceThread: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopping = false
    }

    private let condition = NSCondition()
    private nonisolated(unsafe) var state = State() // guarded by `condition`
    private let finished = DispatchSemaphore(value: 0)

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    /// Queues `work`; the ticket completes when it has run.
    func submit(_ work: @escaping @Sendable () throws(VigilError) -> Void) -> InferenceTicket {
        let ticket = InferenceTicket()
        condition.lock()
        precondition(!state.stopping, "submit after stop")
        state.jobs.append {
            do throws(VigilError) { try work(); ticket.complete(nil) } catch { ticket.complete(error) }
        }
        condition.signal()
        condition.unlock()
        return ticket
    }

    /// Runs what is queued, then ends the thread; returns once it has ended.
    func stop() {
        condition.lock()
        let first = !state.stopping
        state.stopping = true
        condition.signal()
        condition.unlock()
        if first { finished.wait() }
    }

    private func loop() {
        while true {
            condition.lock()
            while state.jobs.isEmpty && !state.stopping { condition.wait() }
            if state.jobs.isEmpty {
                condition.unlock()
                finished.signal()
                return
            }
            let job = state.jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

/// Completion of one inference job, awaited without blocking a thread.
final class InferenceTicket: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Void, any Error>)
        case done(VigilError?)
    }

    private let state = Mutex<State>(.pending)

    func complete(_ error: VigilError?) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            if case .waiting(let continuation) = state {
                state = .done(error)
                return continuation
            }
            state = .done(error)
            return nil
        }
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
    }

    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: VigilError?? = state.withLock { state in
                if case .done(let error) = state { return .some(error) }
                state = .waiting(continuation)
                return .none
            }
            if case .some(let error) = outcome {
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }
}
