import Synchronization

/// Progress of a run, fed by sources (how many frames they expect, and whether a recording ended
/// before its container said it would) and the runtime (frames done, failed components), read by the
/// progress bar, the run summary and the sinks that record the run.
public final class RunProgress: Sendable {
    private struct State {
        var expected: [String: Int] = [:]
        var done: [String: Int] = [:]
        var truncations: [String: Truncation] = [:]
        /// Component id -> the first failure upstream of it.
        var upstreamFailures: [String: String] = [:]
        var dropped = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// A source announces how many frames it will emit (files with a known frame count and window).
    public func expectFrames(_ count: Int, source: String) { state.withLock { $0.expected[source] = count } }

    public func frameDone(source: String) { state.withLock { $0.done[source, default: 0] += 1 } }

    /// Messages a component's full queue dropped (live sources keeping the newest frames).
    public func dropped(_ count: Int) { state.withLock { $0.dropped += count } }

    /// Messages dropped so far over all components.
    public var droppedCount: Int { state.withLock { $0.dropped } }

    /// A source reports, before it ends its output, that its file was cut short and it stopped there
    /// (``TruncationPolicy/complete``). Sinks reading the source see it once their input has ended.
    public func truncated(_ truncation: Truncation) { state.withLock { $0.truncations[truncation.source] = truncation } }

    /// The truncated sources so far, by source id.
    public var truncations: [String: Truncation] { state.withLock { $0.truncations } }

    /// The runtime records a failed component (`"id: error"`) for every component downstream of it,
    /// before it ends the failed component's output.
    public func componentFailed(_ failure: String, downstream: Set<String>) {
        state.withLock { s in for id in downstream where s.upstreamFailures[id] == nil { s.upstreamFailures[id] = failure } }
    }

    /// The first failure of a component upstream of `id`, once `id`'s input has ended: its input was cut
    /// short (results sinks record the run as failed).
    public func upstreamFailure(of id: String) -> String? { state.withLock { $0.upstreamFailures[id] } }

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

/// A recorded file that ends before its container says it should (a dashcam cut by a power loss),
/// processed up to its end.
public struct Truncation: Sendable, Hashable, Codable {
    public var source: String
    public var url: String
    /// Frames decoded before the cut.
    public var frames: Int
    /// Frames the container declares, when it does.
    public var declaredFrames: Int?

    public init(source: String, url: String, frames: Int, declaredFrames: Int?) {
        self.source = source; self.url = url; self.frames = frames; self.declaredFrames = declaredFrames
    }

    /// `plaza: truncated after 57 frames (of 100 declared): x.mp4`
    public var description: String {
        "\(source): truncated after \(frames) frames" + (declaredFrames.map { " (of \($0) declared)" } ?? "") + ": \(url)"
    }
}
