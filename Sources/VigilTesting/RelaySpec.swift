public import VigilCore

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
    public var outputPorts: Set<PortType> { eventEvery == nil ? [.frames] : [.frames, .events] }

    public func makeStage(context: StageContext) async throws -> any Stage { Relay(id: context.id, eventEvery: eventEvery) }
}
