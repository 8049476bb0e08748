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

final class CollectingSink: Stage {
    let log: MessageLog
    let delay: Double
    let failAfter: Int?

    init(log: MessageLog, delay: Double, failAfter: Int?) { self.log = log; self.delay = delay; self.failAfter = failAfter }

    func run(input: StageInput, output: StageOutput) async throws {
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

/// `relay` transform: forwards frames unchanged, to build multi-stage graphs in tests. With
/// `event_every: N` it also writes an alert after every N frames, as an `alert` stage would: alternately
/// the `start` and the `end` of alert `<id>-<k>` (kind `relay_alert`, the frame's time), so there are
/// events among the frames of its `frames` output.
public struct RelaySpec: StageSpec {
    public static let typeName = "relay"
    public static let role = StageRole.transform
    public static let summary = "test transform forwarding frames (and writing alerts every N frames)"

    var eventEvery: Int?

    public init(config: ConfigReader) {
        eventEvery = config.int("event_every", in: 1...10_000_000)
        config.finish()
    }

    public var inputPorts: Set<PortType> { [.frames] }
    public var outputPort: PortType? { .frames }

    public func makeStage(context: StageContext) async throws -> any Stage { Relay(id: context.id, eventEvery: eventEvery) }
}

final class Relay: Stage {
    let id: String
    let eventEvery: Int?
    init(id: String, eventEvery: Int?) { self.id = id; self.eventEvery = eventEvery }

    func run(input: StageInput, output: StageOutput) async throws {
        var frames = 0, events = 0
        var started: MediaTime?
        for try await message in input {
            try await output.send(message)
            guard let every = eventEvery, case .frame(let frame) = message else { continue }
            frames += 1
            guard frames % every == 0 else { continue }
            let alert = "\(id)-\(events / 2)"
            let time = frame.info.time
            let phase: Event.Phase = events % 2 == 0 ? .start : .end
            if phase == .start { started = time }
            try await output.send(.event(Event(
                time: time, sourceID: frame.info.sourceID, rule: id, kind: "relay_alert", severity: .warning,
                message: "\(alert) \(phase.rawValue) at frame \(frame.info.index)", attributes: ["frame": "\(frame.info.index)"],
                alertID: alert, phase: phase, startTime: started, value: Double(frame.info.index), peakValue: Double(frame.info.index))))
            events += 1
        }
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
