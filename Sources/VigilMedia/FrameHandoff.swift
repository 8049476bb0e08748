import Dispatch
import Synchronization

/// The bounded hand-off between a source's dedicated decoding thread and the task that sends its
/// messages downstream. While `capacity` messages wait, a file source's thread blocks (batch work
/// slows down instead of growing memory) and a live source drops the oldest waiting message (a
/// camera cannot be paused; the newest frames matter). The task takes messages with `await`, so
/// blocking FFmpeg reads never occupy Swift's cooperative thread pool.
final class FrameHandoff<Element: Sendable>: Sendable {
    enum PushResult { case sent, dropped, closed }

    let stream: AsyncThrowingStream<Element, any Error>
    private let continuation: AsyncThrowingStream<Element, any Error>.Continuation
    private let slots: DispatchSemaphore
    private let closed = Atomic<Bool>(false)
    /// Live: the stream keeps the newest `capacity` messages and the producer never waits.
    let dropsOldest: Bool

    init(capacity: Int, dropsOldest: Bool, onTermination: @escaping @Sendable () -> Void) {
        self.dropsOldest = dropsOldest
        (stream, continuation) = AsyncThrowingStream.makeStream(
            of: Element.self, throwing: (any Error).self,
            bufferingPolicy: dropsOldest ? .bufferingNewest(capacity) : .unbounded)
        slots = DispatchSemaphore(value: capacity)
        continuation.onTermination = { _ in onTermination() }
    }

    /// Called by the producer thread. Waits for room (unless `dropsOldest`); gives up when the
    /// consumer is gone or `shouldStop` says so. `.dropped` means an older message was discarded.
    func push(_ element: Element, shouldStop: () -> Bool) -> PushResult {
        if !dropsOldest {
            while slots.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
                if isClosed || shouldStop() { return .closed }
            }
        }
        if isClosed { return .closed }
        switch continuation.yield(element) {
        case .terminated:
            close()
            return .closed
        case .dropped: return .dropped
        case .enqueued: return .sent
        @unknown default: return .sent
        }
    }

    /// Called by the consumer after taking an element: frees its slot.
    func taken() { if !dropsOldest { slots.signal() } }

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
