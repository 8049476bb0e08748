public import VigilCore

/// `collect` sink: keeps every message in the ``MessageLog`` named by `log`, optionally slowly
/// (`delay`) or failing after some messages (`fail_after`), for runtime tests.
public struct CollectingSinkSpec: StageSpec {
    public static let typeName = "collect"
    public static let role = StageRole.sink
    public static let summary = "test sink keeping messages in memory"

    var log: String
    var delay: Double
    var failAfter: Int?
    var pixels: Bool

    public init(config: ConfigReader) {
        log = config.requiredString("log") ?? ""
        delay = config.duration("delay") ?? 0
        failAfter = config.int("fail_after", in: 0...10_000_000)
        pixels = config.bool("pixels") ?? false
        config.finish()
    }

    public var inputPorts: Set<PortType> { [.frames, .events, .rows] }
    public var outputPort: PortType? { nil }
    public var frameRequirement: FrameRequirement? { pixels ? FrameRequirement(pixelFormat: .bgr24) : nil }

    public func makeStage(context: StageContext) async throws -> any Stage {
        CollectingSink(log: MessageLog.named(log), delay: delay, failAfter: failAfter)
    }
}

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

/// `relay` transform: forwards frames unchanged , to
/// build multi-stage graphs in tests.
public struct RelaySpec: StageSpec {
    public static let typeName = "relay"
    public static let role = StageRole.transform
    public static let summary = "test transform forwarding frames"

    public init(config: ConfigReader) { config.finish() }

    public var inputPorts: Set<PortType> { [.frames] }
    public var outputPort: PortType? { .frames }

    public func makeStage(context: StageContext) async throws -> any Stage { Relay() }
}

final class Relay: Stage {
    func run(input: StageInput, output: StageOutput) async throws {
        for try await message in input { try await output.send(message) }
    }
}

/// `ticker` source: only events (an `events` port), to test port type checks.
public struct TickerSpec: StageSpec {
    public static let typeName = "ticker"
    public static let role = StageRole.source
    public static let summary = "test source emitting events"

    var count: Int

    public init(config: ConfigReader) {
        count = config.int("count", in: 0...1_000_000) ?? 3
        config.finish()
    }

    public var inputPorts: Set<PortType> { [] }
    public var outputPort: PortType? { .events }

    public func makeStage(context: StageContext) async throws -> any Stage { Ticker(count: count, id: context.id) }
}

final class Ticker: Stage {
    let count: Int
    let id: String
    init(count: Int, id: String) { self.count = count; self.id = id }

    func run(input: StageInput, output: StageOutput) async throws {
        for i in 0..<count {
            try await output.send(.event(Event(time: MediaTime(seconds: Double(i)), sourceID: id, rule: id,
                                               kind: "tick", message: "tick \(i)")))
        }
    }
}
