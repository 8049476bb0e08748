import Synchronization

/// Group commit for completions: jobs that end while a completion is being written wait for the next
/// statement, which records them all (one round trip and one commit for many short jobs; no added
/// latency when jobs end one at a time).
final class CompletionBatcher: Sendable {
    let queue: JobQueue

    private struct Pending {
        var job: ClaimedJob
        var result: String?
        var continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var flushing = false
    }

    private let state = Mutex(State())

    init(queue: JobQueue) { self.queue = queue }

    /// Records `job` as completed; `false` when its lease was lost.
    func complete(_ job: ClaimedJob, result: String?) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.pending.append(Pending(job: job, result: result, continuation: continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            if start { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let recorded = try await queue.complete(batch.map { (job: $0.job, result: $0.result) })
                for pending in batch { pending.continuation.resume(returning: recorded.contains(pending.job.job.id)) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }
}
