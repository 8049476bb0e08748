import Dispatch
import Synchronization

/// The bounded hand-off between a source's dedicated decoding thread and the task that sends its
/// messages downstream. The thread blocks (files) or drops the frame (live streams) while `capacity`
/// messages wait; the task takes them with `await`, so blocking FFmpeg reads never occupy Swift's
/// cooperative thread pool.
final class FrameHandoff<Element: Sendable>: Sendable {
    enum PushResult { case sent, dropped, closed }

    let stream: AsyncThrowingStream<Element, any Error>
    private let continuation: AsyncThrowingStream<Element, any Error>.Continuation
    private let slots: DispatchSemaphore
    private let closed = Atomic<Bool>(false)

    init(capacity: Int, onTermination: @escaping @Sendable () -> Void) {
        (stream, continuation) = AsyncThrowingStream.makeStream(of: Element.self, throwing: (any Error).self)
        slots = DispatchSemaphore(value: capacity)
        continuation.onTermination = { _ in onTermination() }
    }

    /// Called by the producer thread. Waits for room unless `dropIfFull`; gives up when the consumer
    /// is gone or `shouldStop` says so.
    func push(_ element: Element, dropIfFull: Bool, shouldStop: () -> Bool) -> PushResult {
        if dropIfFull {
            guard slots.wait(timeout: .now()) == .success else { return isClosed ? .closed : .dropped }
        } else {
            while slots.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
                if isClosed || shouldStop() { return .closed }
            }
        }
        if isClosed { return .closed }
        if case .terminated = continuation.yield(element) {
            close()
            return .closed
        }
        return .sent
    }

    /// Called by the consumer after taking an element: frees its slot.
    func taken() { slots.signal() }

    /// The consumer stopped listening: wakes a waiting producer.
    func close() {
        closed.store(true, ordering: .releasing)
        slots.signal()
    }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Called by the producer when it is done.
    func finish(throwing error: (any Error)?) {
        continuation.finish(throwing: error)
    }
}

/// Signalled once by a thread when it exits; awaited by the task that started it.
final class ThreadCompletion: Sendable {
    private struct State { var done = false; var waiters: [CheckedContinuation<Void, Never>] = [] }
    private let state = Mutex(State())

    func signal() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.done = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.done { return true }
                s.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
