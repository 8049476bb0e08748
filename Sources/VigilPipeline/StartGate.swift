import Synchronization

/// Holds every stage back until all of them are built, so no source emits a frame into a graph
/// whose sink failed to start. Fails everyone when one fails. The last to arrive decides, from what
/// everyone brought, how the run resumes (``ResumePlan``); every participant receives the decision.
final class StartGate: Sendable {
    private struct State {
        var remaining: Int
        var failure: (any Error)?
        var votes: [ResumeVote] = []
        var waiters: [CheckedContinuation<ResumePlan, any Error>] = []
    }
    private let state: Mutex<State>
    private let decide: @Sendable ([ResumeVote]) -> ResumePlan

    init(participants: Int, decide: @escaping @Sendable ([ResumeVote]) -> ResumePlan = { _ in .none }) {
        state = Mutex(State(remaining: participants))
        self.decide = decide
    }

    /// Marks one participant ready and waits for the others.
    func arriveAndWait(_ vote: ResumeVote) async throws -> ResumePlan {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ResumePlan, any Error>) in
            enum Action { case wait, open([CheckedContinuation<ResumePlan, any Error>], [ResumeVote]), fail(any Error) }
            let action: Action = state.withLock { s in
                if let failure = s.failure { return .fail(failure) }
                s.remaining -= 1
                s.waiters.append(continuation)
                s.votes.append(vote)
                guard s.remaining == 0 else { return .wait }
                defer { s.waiters.removeAll() }
                return .open(s.waiters, s.votes)
            }
            switch action {
            case .wait: break
            case .open(let all, let votes):
                let plan = decide(votes)
                all.forEach { $0.resume(returning: plan) }
            case .fail(let error): continuation.resume(throwing: error)
            }
        }
    }

    func fail(_ error: any Error) {
        let waiters: [CheckedContinuation<ResumePlan, any Error>] = state.withLock { s in
            if s.failure == nil { s.failure = error }
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume(throwing: error) }
    }
}
