import Synchronization
import VigilCore

/// Merges a stage's input channels into one ordered stream.
///
/// In batch mode every input channel is read head-to-head and the message with the smallest media
/// time goes first, so several cameras reach a stage in timestamp order. (Live inputs share one
/// channel and arrive in arrival order: waiting on a silent camera would stall the others.)
final class InputMerger: Sendable {
    private struct State {
        var heads: [Message?]
        var finished: [Bool]
    }

    private let channels: [BoundedChannel]
    private let state: Mutex<State>

    init(channels: [BoundedChannel]) {
        self.channels = channels
        self.state = Mutex(State(heads: Array(repeating: nil, count: channels.count),
                                 finished: Array(repeating: false, count: channels.count)))
    }

    /// The next message in time order, or `nil` when every input has ended.
    /// Called by one task only (the stage's), so the state is never contended.
    func next() async -> Message? {
        if channels.count == 1 { return await channels[0].receive() }
        for index in channels.indices {
            let needsHead = state.withLock { !$0.finished[index] && $0.heads[index] == nil }
            guard needsHead else { continue }
            let message = await channels[index].receive()
            state.withLock { s in
                if let message { s.heads[index] = message } else { s.finished[index] = true }
            }
        }
        return state.withLock { s -> Message? in
            var best: Int?
            for index in s.heads.indices {
                guard let head = s.heads[index] else { continue }
                if best == nil || head.time < s.heads[best!]!.time { best = index }
            }
            guard let best else { return nil }
            defer { s.heads[best] = nil }
            return s.heads[best]
        }
    }
}
