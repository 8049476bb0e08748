public import VigilCore

/// The collecting sink of the tests: keeps every message it receives, in order, in a ``MessageLog``.
/// A pipeline file names it `type: collect` (see ``CollectingSinkSpec``); a test that drives one stage
/// directly passes ``output`` as that stage's output and reads ``frames``, ``events`` or ``messages``.
public final class CollectingSink: Stage, Sendable {
    public let log: MessageLog
    let delay: Double
    let failAfter: Int?

    /// `delay` seconds per message (a slow sink), failing after `failAfter` messages when set.
    public init(log: MessageLog = MessageLog(), delay: Double = 0, failAfter: Int? = nil) {
        self.log = log; self.delay = delay; self.failAfter = failAfter
    }

    /// An output that appends every message to ``log`` at once.
    public var output: StageOutput { StageOutput { [log] message in log.append(message) } }

    public var messages: [Message] { log.messages }
    public var frames: [AnnotatedFrame] { log.frames }
    public var events: [Event] { log.events }

    public func run(input: StageInput, output: StageOutput) async throws {
        var count = 0
        for try await message in input {
            if let failAfter, count >= failAfter {
                throw VigilError(.io, "collect sink failing after \(failAfter) messages as configured")
            }
            if delay > 0 { try await Task.sleep(for: .seconds(delay)) }
            log.append(message)
            count += 1
        }
        log.markFinished()
    }
}
