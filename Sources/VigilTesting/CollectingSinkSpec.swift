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
