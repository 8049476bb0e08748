/// Where a component may appear in a pipeline file.
public enum StageRole: String, Sendable, CaseIterable {
    case source, transform, sink

    /// The top-level section of the pipeline file for this role.
    public var section: String {
        switch self {
        case .source: "sources"
        case .transform: "stages"
        case .sink: "sinks"
        }
    }
}

/// The validated configuration of one component: parsed and checked before anything runs
/// ("config is not runtime"), then asked to build the running ``Stage``.
///
/// Each stage kind provides one type conforming to this protocol; the executable registers it by its
/// ``typeName``. The runtime knows no kind by name.
public protocol StageSpec: Sendable {
    /// The `type:` value in pipeline files, e.g. `video`, `detect`, `jsonl`.
    static var typeName: String { get }
    static var role: StageRole { get }
    /// One line for `vigil validate --list` and errors.
    static var summary: String { get }

    /// Reads the settings of one component. Problems are reported through `config` (all of them,
    /// with positions); the returned spec is only used when no error was reported.
    init(config: ConfigReader)

    /// Port types this component accepts on its inputs (empty for sources).
    var inputPorts: Set<PortType> { get }
    /// Port type of its output, `nil` for sinks.
    var outputPort: PortType? { get }
    /// Every kind of message its output carries (default: ``outputPort``), e.g. `[frames, events]` for a
    /// stage that forwards frames and adds alerts. A consumer must accept at least one of them.
    var outputPorts: Set<PortType> { get }
    /// Pixels this component needs on the frames it receives; `nil` when it reads no pixels.
    var frameRequirement: FrameRequirement? { get }

    /// What a source reads (a path or URL), recorded with the run's results to recognise "the same
    /// inputs" on a rerun; `nil` for components that read no outside input.
    var sourceURL: String? { get }

    /// Checks that need the outside world (model files, database reachability), done for every
    /// component before any source starts. Throws a ``VigilError`` saying what to fix.
    func preflight(context: StageContext) async throws

    /// Builds the running stage. Called on the task that will run it, after every preflight passed.
    func makeStage(context: StageContext) async throws -> any Stage
}

extension StageSpec {
    public var outputPorts: Set<PortType> { outputPort.map { [$0] } ?? [] }
    public var frameRequirement: FrameRequirement? { nil }
    public var sourceURL: String? { nil }
    public func preflight(context: StageContext) async throws {}
}
