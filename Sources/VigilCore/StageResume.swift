/// How a stage takes part when a batch run continues an earlier, interrupted one (`--resume`, a job
/// rescued from a dead worker). A resume **seeks** — the sources start at a checkpoint mark and every
/// stage with state restores what it held there — only when every stage of the graph supports it and
/// a result sink offers a mark; otherwise the whole input is replayed and the sinks skip what was
/// committed (correct, but it costs the whole file again).
public enum ResumeSupport: Sendable, Hashable, CustomStringConvertible {
    /// The stage must see the run's inputs from the start: its state cannot be written down (a motion
    /// model), or it rewrites its whole output (a file). The default.
    case replay
    /// What it does with a message depends on that message alone: nothing to restore.
    case stateless
    /// It keeps state that ``Stage/saveState()`` writes down and ``Stage/resume(at:)`` restores.
    case snapshots
    /// A source that can start at a media time (``Stage/resume(at:)`` gives the mark).
    case seeks
    /// A result sink that skips what an earlier run committed and knows the marks it can continue from
    /// (``Stage/resumeOffer()``).
    case continues

    public var description: String {
        switch self {
        case .replay: "replay"
        case .stateless: "stateless"
        case .snapshots: "snapshots"
        case .seeks: "seeks"
        case .continues: "continues"
        }
    }
}

/// A point a resumed run can start from: media time `mark` (every source starts with its first frame
/// at or after it) and, per stage id, that stage's state as of every frame before the mark.
public struct ResumePoint: Sendable, Hashable {
    public var mark: Double
    public var states: [String: [UInt8]]
    public init(mark: Double, states: [String: [UInt8]] = [:]) { self.mark = mark; self.states = states }
}

/// A stage's state, written down as the first frame at or after `mark` reached it (so it holds what
/// every earlier frame did). It rides on that frame to the result sinks, which commit it with the frame:
/// a committed snapshot is never ahead of the committed rows.
public struct StageSnapshot: Sendable, Hashable {
    public var stage: String
    public var mark: Double
    public var state: [UInt8]
    public init(stage: String, mark: Double, state: [UInt8]) { self.stage = stage; self.mark = mark; self.state = state }
}

extension Stage {
    public var resumeSupport: ResumeSupport { .replay }

    public func saveState() throws -> [UInt8] {
        throw VigilError(.stageFailed, "this stage keeps no state that can be written down")
    }

    public func resume(at point: ResumePoint) throws {}

    public func resumeOffer() async throws -> [ResumePoint] { [] }
}
