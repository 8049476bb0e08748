import Synchronization

/// Progress of a run, fed by sources (how many frames they expect) and the runtime (frames done),
/// read by the progress bar.
public final class RunProgress: Sendable {
    private struct State {
        var expected: [String: Int] = [:]
        var done: [String: Int] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// A source announces how many frames it will emit (files with a known frame count and window).
    public func expectFrames(_ count: Int, source: String) { state.withLock { $0.expected[source] = count } }

    public func frameDone(source: String) { state.withLock { $0.done[source, default: 0] += 1 } }

    /// Frames done over all sources, and the total expected when every source announced one.
    public var snapshot: (done: Int, expected: Int?) {
        state.withLock { s in
            let done = s.done.values.reduce(0, +)
            let sources = Set(s.done.keys).union(s.expected.keys)
            let complete = !s.expected.isEmpty && sources.allSatisfy { s.expected[$0] != nil }
            return (done, complete ? s.expected.values.reduce(0, +) : nil)
        }
    }
}
