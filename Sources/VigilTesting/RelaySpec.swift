public import VigilCore

/// `relay` transform: forwards frames unchanged, to
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
