/// A running pipeline component: a source, a transform or a sink.
///
/// The runtime knows stages only through this protocol. Each stage runs as its own task; it reads its
/// merged inputs until they end, writes to its output (which suspends while downstream is full, so a
/// slow sink slows decoding instead of growing memory), and returns. Returning ends its output stream.
/// A stage instance is used by exactly one task, so it may keep mutable state without locks.
///
/// A transform receives every message its inputs produce and **forwards the kinds it does not
/// process** unchanged (a detector forwards a source's `stream_gap` events), so they reach the sinks.
/// Sinks receive only the port types they accept.
///
/// The other requirements (defaults in `StageResume.swift`) let a resumed batch run seek instead of
/// replaying its inputs; see ``ResumeSupport``. The runtime calls them from the stage's own task, before
/// `run` (``resume(at:)``, ``resumeOffer()``) or between two messages of its input (``saveState()``).
public protocol Stage: AnyObject {
    func run(input: StageInput, output: StageOutput) async throws
    /// How the stage takes part in a resumed run.
    var resumeSupport: ResumeSupport { get }
    /// `.snapshots`: the state as of every message taken from the input so far.
    func saveState() throws -> [UInt8]
    /// Before `run` of a resumed run: `.seeks` sources start at `point.mark`; `.snapshots` stages restore
    /// `point.states[their id]` (the runtime passes a point holding only theirs).
    func resume(at point: ResumePoint) throws
    /// `.continues`: the points an earlier run of this sink can be continued from, latest first; empty
    /// when there is nothing to continue or it cannot be continued by seeking.
    func resumeOffer() async throws -> [ResumePoint]
}

/// The merged inputs of a stage: messages from all of its `inputs`, in timestamp order.
public struct StageInput: AsyncSequence, Sendable {
    public typealias Element = Message
    private let nextMessage: @Sendable () async throws -> Message?

    public init(next: @escaping @Sendable () async throws -> Message?) { self.nextMessage = next }

    /// An input with nothing in it (sources).
    public static let empty = StageInput { nil }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextMessage: @Sendable () async throws -> Message?
        public mutating func next() async throws -> Message? { try await nextMessage() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(nextMessage: nextMessage) }
}

/// Where a stage writes: every downstream stage receives each message (fan-out).
public struct StageOutput: Sendable {
    private let sendMessage: @Sendable (Message) async throws -> Void

    public init(send: @escaping @Sendable (Message) async throws -> Void) { self.sendMessage = send }

    /// An output that discards everything (sinks).
    public static let discard = StageOutput { _ in }

    /// Sends one message downstream, suspending while a downstream channel is full.
    public func send(_ message: Message) async throws { try await sendMessage(message) }
}
