import Synchronization

/// Waits until `condition` holds, checking it every `interval`. A test's wait that always ends: after
/// `timeout` it throws ``WaitTimeout`` naming `what`, which fails the test instead of hanging it.
/// The timeout is a safety net, not a measurement: no test asserts how long anything took.
public func waitUntil(_ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(20),
                      _ condition: () throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try !condition() {
        guard clock.now < deadline else { throw WaitTimeout(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

/// What ``waitUntil(_:timeout:every:_:)`` throws when its condition did not come true in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "gave up after \(timeout) waiting for \(what)" }
}

/// Runs `body` and returns its result, or throws ``WaitTimeout`` naming `what` after `timeout` — also
/// when `body` ignores cancellation (it is cancelled and left to finish on its own). For a test's step
/// that waits on another party (a socket's messages, a child's output), so a lost message fails the
/// test with its name instead of hanging the whole suite.
public func withDeadline<T: Sendable>(_ what: String, timeout: Duration = .seconds(120),
                                      _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { continuation in
        once.set(continuation)
        let work = Task {
            do { once.resume(.success(try await body())) } catch { once.resume(.failure(error)) }
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            work.cancel()
            once.resume(.failure(WaitTimeout(what: what, timeout: timeout)))
        }
        once.onResume { timer.cancel() }
    }
}

private final class ResumeOnce<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var done = false
        var onResume: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func set(_ continuation: CheckedContinuation<T, any Error>) { state.withLock { $0.continuation = continuation } }

    func onResume(_ action: @escaping @Sendable () -> Void) {
        let done = state.withLock { s in
            if !s.done { s.onResume = action }
            return s.done
        }
        if done { action() }
    }

    func resume(_ result: Result<T, any Error>) {
        let taken = state.withLock { s -> (CheckedContinuation<T, any Error>, (@Sendable () -> Void)?)? in
            guard !s.done, let c = s.continuation else { return nil }
            s.done = true
            s.continuation = nil
            return (c, s.onResume)
        }
        guard let (continuation, action) = taken else { return }
        continuation.resume(with: result)
        action?()
    }
}
