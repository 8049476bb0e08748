import Synchronization

/// Runs `body` in its own task and returns its outcome, or throws `timeoutError()` once `timeout` has
/// passed; on timeout (or when the caller is cancelled) `body` is cancelled but not waited for.
///
/// Structured concurrency would wait for `body` to honour the cancellation, and postgres-nio does not
/// end every operation on a connection that died: a COPY in flight when the server crashed was seen
/// waiting forever, ignoring cancellation. A commit's correctness does not rest on the abandoned task
/// (the `last_batch` guard refuses a second commit of a batch), so giving up on it is safe.
func withDeadline<R: Sendable>(_ timeout: Duration, timeoutError: @escaping @Sendable () -> any Error,
                               _ body: @escaping @Sendable () async throws -> R) async throws -> R {
    let outcome = Outcome<R>()
    let work = Task {
        do { outcome.settle(.success(try await body())) } catch { outcome.settle(.failure(error)) }
    }
    let timer = Task {
        try await Task.sleep(for: timeout)
        outcome.settle(.failure(timeoutError()))
        work.cancel()
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await outcome.value()
    } onCancel: {
        work.cancel()
        outcome.settle(.failure(CancellationError()))
    }
}

/// A result settled once, by whoever comes first, and awaited by one task.
private final class Outcome<R: Sendable>: Sendable {
    private struct State {
        var result: Result<R, any Error>?
        var waiter: CheckedContinuation<R, any Error>?
    }
    private let state = Mutex(State())

    func settle(_ result: Result<R, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<R, any Error>? in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { s -> Result<R, any Error>? in
                if let result = s.result { return result }
                s.waiter = continuation
                return nil
            }
            if let settled { continuation.resume(with: settled) }
        }
    }
}
