import Dispatch
import Synchronization
import VigilCore

/// The bounded hand-off between a source's dedicated decoding thread and the task that sends its
/// messages downstream: the source's `buffer:`. While `capacity` messages wait, `block` makes the
/// thread wait (a file source: batch work slows down instead of growing memory), `dropOldest` drops the
/// oldest waiting message and `dropNewest` the incoming one (a live source: a camera cannot be paused).
/// The task takes messages with `await`, so blocking FFmpeg reads never occupy Swift's cooperative
/// thread pool. Unlike the queues between components, this one may also displace a waiting
/// `stream_gap` event when full; such an event follows a reconnect, when the queue has just drained.
final class FrameHandoff<Element: Sendable>: Sendable {
    enum PushResult { case sent, dropped, closed }

    let stream: AsyncThrowingStream<Element, any Error>
    private let continuation: AsyncThrowingStream<Element, any Error>.Continuation
    private let slots: DispatchSemaphore
    private let closed = Atomic<Bool>(false)
    /// A drop policy: the stream keeps `capacity` messages and the producer never waits.
    let drops: Bool

    init(capacity: Int, policy: OverflowPolicy, onTermination: @escaping @Sendable () -> Void) {
        drops = policy != .block
        let buffering: AsyncThrowingStream<Element, any Error>.Continuation.BufferingPolicy = switch policy {
        case .block: .unbounded
        case .dropOldest: .bufferingNewest(capacity)
        case .dropNewest: .bufferingOldest(capacity)
        }
        (stream, continuation) = AsyncThrowingStream.makeStream(of: Element.self, throwing: (any Error).self,
                                                                bufferingPolicy: buffering)
        slots = DispatchSemaphore(value: capacity)
        continuation.onTermination = { _ in onTermination() }
    }

    /// Called by the producer thread. Waits for room (under `block`); gives up when the consumer is
    /// gone or `shouldStop` says so. `.dropped` means a message was discarded.
    func push(_ element: Element, shouldStop: () -> Bool) -> PushResult {
        if !drops {
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
    func taken() { if !drops { slots.signal() } }

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
