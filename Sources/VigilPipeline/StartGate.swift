import Synchronization

/// Holds every stage back until all of them are built, so no source emits a frame into a graph
/// whose sink failed to start. Fails everyone when one fails.
final class StartGate: Sendable {
    private struct State {
        var remaining: Int
        var failure: (any Error)?
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }
    private let state: Mutex<State>

    init(participants: Int) { state = Mutex(State(remaining: participants)) }

    /// Marks one participant ready and waits for the others.
    func arriveAndWait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enum Action { case wait, open([CheckedContinuation<Void, any Error>]), fail(any Error) }
            let action: Action = state.withLock { s in
                if let failure = s.failure { return .fail(failure) }
                s.remaining -= 1
                s.waiters.append(continuation)
                guard s.remaining == 0 else { return .wait }
                defer { s.waiters.removeAll() }
                return .open(s.waiters)
            }
            switch action {
            case .wait: break
            case .open(let all): all.forEach { $0.resume() }
            case .fail(let error): continuation.resume(throwing: error)
            }
        }
    }

    func fail(_ error: any Error) {
        let waiters: [CheckedContinuation<Void, any Error>] = state.withLock { s in
            if s.failure == nil { s.failure = error }
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume(throwing: error) }
    }
}
