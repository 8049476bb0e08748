import Synchronization
public import VigilCore

/// A bounded, multi-producer, single-consumer queue of messages: an edge of the pipeline graph.
///
/// Its length never exceeds ``capacity``. When it is full, the ``OverflowPolicy`` decides: `block`
/// suspends the sender; `dropNewest` drops the incoming frame, `dropOldest` the oldest waiting frame
/// (the incoming one when no frame waits). Only frames are dropped: an event or a row takes the place
/// of the oldest waiting frame under `dropOldest`, and otherwise waits for room. Each drop is counted and reported to `onDrop`. End-of-stream travels in the data path: when
/// every producer has finished, the consumer receives `nil` after the buffered messages.
public final class BoundedChannel: Sendable {
    public let capacity: Int
    public let policy: OverflowPolicy

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var buffer: [Message?]
        var head = 0
        var count = 0
        var producers: Int
        var consumerGone = false
        var receiver: CheckedContinuation<Message?, Never>?
        var senders: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var highWater = 0
        var dropped = 0

        mutating func push(_ message: Message) {
            buffer[(head + count) % buffer.count] = message
            count += 1
            highWater = max(highWater, count)
        }

        /// Removes the oldest waiting frame; `false` when none waits.
        mutating func removeOldestFrame() -> Bool {
            guard let offset = (0..<count).first(where: { i in
                if case .frame? = buffer[(head + i) % buffer.count] { true } else { false }
            }) else { return false }
            for i in stride(from: offset, to: count - 1, by: 1) {
                buffer[(head + i) % buffer.count] = buffer[(head + i + 1) % buffer.count]
            }
            buffer[(head + count - 1) % buffer.count] = nil
            count -= 1
            return true
        }

        mutating func pop() -> Message {
            let message = buffer[head]!
            buffer[head] = nil
            head = (head + 1) % buffer.count
            count -= 1
            return message
        }
    }

    private let state: Mutex<State>
    private let onDrop: @Sendable () -> Void

    public init(capacity: Int, producers: Int = 1, policy: OverflowPolicy = .block,
                onDrop: @escaping @Sendable () -> Void = {}) {
        precondition(capacity > 0 && producers > 0)
        self.capacity = capacity
        self.policy = policy
        self.onDrop = onDrop
        self.state = Mutex(State(buffer: Array(repeating: nil, count: capacity), producers: producers))
    }

    /// The most messages the channel has held at once.
    public var highWaterMark: Int { state.withLock { $0.highWater } }
    /// Senders waiting for room right now.
    public var waitingSenders: Int { state.withLock { $0.senders.count } }
    /// Frames dropped by the `dropNewest` / `dropOldest` policies.
    public var droppedCount: Int { state.withLock { $0.dropped } }

    /// Sends a message, suspending while the channel is full and the policy (or the message kind) says
    /// wait. Returns `false` when the consumer has gone away and the message was discarded; a frame
    /// dropped by the policy counts as sent.
    @discardableResult
    public func send(_ message: Message) async throws -> Bool {
        let droppable: Bool = if case .frame = message { policy != .block } else { false }
        while true {
            enum Outcome { case delivered(CheckedContinuation<Message?, Never>?), dropped, discarded, full }
            let outcome: Outcome = state.withLock { s in
                if s.consumerGone { return .discarded }
                if let receiver = s.receiver {
                    s.receiver = nil
                    s.highWater = max(s.highWater, 1)
                    return .delivered(receiver)
                }
                if s.count < capacity {
                    s.push(message)
                    return .delivered(nil)
                }
                if droppable {
                    s.dropped += 1
                    if policy == .dropOldest, s.removeOldestFrame() { s.push(message) }
                    return .dropped
                }
                // An event or a row under drop_oldest takes the place of the oldest waiting frame.
                if policy == .dropOldest, s.removeOldestFrame() {
                    s.dropped += 1
                    s.push(message)
                    return .dropped
                }
                return .full
            }
            switch outcome {
            case .delivered(let receiver):
                receiver?.resume(returning: message)
                return true
            case .dropped:
                onDrop()
                return true
            case .discarded:
                return false
            case .full:
                try await waitForRoom()
            }
        }
    }

    private func waitForRoom() async throws {
        let id = state.withLock { s in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s in
                    if Task.isCancelled || s.consumerGone || s.count < capacity { return true }
                    s.senders.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                s.senders.firstIndex { $0.id == id }.map { s.senders.remove(at: $0) }
            }
            waiter?.continuation.resume()
        }
        try Task.checkCancellation()
    }

    /// The next message, or `nil` once every producer has finished and the buffer is empty.
    public func receive() async -> Message? {
        enum Outcome { case message(Message, Waiter?), end, wait }
        let outcome: Outcome = state.withLock { s in
            if s.count > 0 {
                let message = s.pop()
                let waiter = s.senders.isEmpty ? nil : s.senders.removeFirst()
                return .message(message, waiter)
            }
            return s.producers == 0 ? .end : .wait
        }
        switch outcome {
        case .message(let message, let waiter):
            waiter?.continuation.resume()
            return message
        case .end:
            return nil
        case .wait:
            return await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Message?, Never>) in
                    enum Now { case message(Message, Waiter?), end, registered }
                    let now: Now = state.withLock { s in
                        if s.count > 0 {
                            let message = s.pop()
                            return .message(message, s.senders.isEmpty ? nil : s.senders.removeFirst())
                        }
                        if s.producers == 0 || Task.isCancelled { return .end }
                        s.receiver = continuation
                        return .registered
                    }
                    switch now {
                    case .message(let message, let waiter):
                        waiter?.continuation.resume()
                        continuation.resume(returning: message)
                    case .end:
                        continuation.resume(returning: nil)
                    case .registered:
                        break
                    }
                }
            } onCancel: {
                let receiver = state.withLock { s in
                    defer { s.receiver = nil }
                    return s.receiver
                }
                receiver?.resume(returning: nil)
            }
        }
    }

    /// One producer is done. After the last one, the consumer sees end-of-stream.
    public func finishProducer() {
        let receiver: CheckedContinuation<Message?, Never>? = state.withLock { s in
            s.producers = max(0, s.producers - 1)
            guard s.producers == 0, s.count == 0 else { return nil }
            defer { s.receiver = nil }
            return s.receiver
        }
        receiver?.resume(returning: nil)
    }

    /// The consumer is gone (finished or failed): pending and future sends are discarded, so no
    /// producer waits forever on a stage that will not read again.
    public func closeConsumer() {
        let waiters: [Waiter] = state.withLock { s in
            s.consumerGone = true
            while s.count > 0 { _ = s.pop() }
            defer { s.senders.removeAll() }
            return s.senders
        }
        for waiter in waiters { waiter.continuation.resume() }
    }
}
