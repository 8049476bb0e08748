import Synchronization
public import VigilCore

/// Messages a ``CollectingSink`` received; a `collect` sink of a pipeline file uses the log named by
/// its `log` key, which the test looks up with ``named(_:)``.
public final class MessageLog: Sendable {
    private static let logs = Mutex<[String: MessageLog]>([:])

    /// The log named `name`, created on first use.
    public static func named(_ name: String) -> MessageLog {
        logs.withLock { table in
            if let log = table[name] { return log }
            let log = MessageLog()
            table[name] = log
            return log
        }
    }

    /// A log of its own, not in the table of named logs.
    public init() {}

    private let storage = Mutex<[Message]>([])
    private let finished = Atomic<Bool>(false)

    public var messages: [Message] { storage.withLock { $0 } }
    public var frames: [AnnotatedFrame] {
        messages.compactMap { if case .frame(let f) = $0 { f } else { nil } }
    }
    public var events: [Event] {
        messages.compactMap { if case .event(let e) = $0 { e } else { nil } }
    }
    /// Whether the sink saw the end of its input and returned normally.
    public var didFinish: Bool { finished.load(ordering: .acquiring) }

    func append(_ message: Message) { storage.withLock { $0.append(message) } }
    func markFinished() { finished.store(true, ordering: .releasing) }
}
