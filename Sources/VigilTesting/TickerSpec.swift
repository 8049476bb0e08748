public import VigilCore

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
