import Foundation
import VigilConfig
import VigilCore

/// Reads a pipeline file and validates all of it before anything runs: YAML syntax, sections,
/// component types, inputs, cycles, port types and every component's own settings. Every problem is
/// reported at once, as `file:line:column: message`.
public struct PipelineLoader: Sendable {
    public var registry: StageRegistry
    public var environment: [String: String]

    /// Top-level keys of a pipeline file besides the three sections.
    static let metadataKeys = ["name", "description"]

    public init(registry: StageRegistry, environment: [String: String]? = nil) {
        self.registry = registry
        self.environment = environment ?? ProcessInfo.processInfo.environment
    }

    /// Loads and validates the file at `path`. Throws ``ValidationError`` listing every problem, or a
    /// ``VigilError`` when the file cannot be read.
    public func load(file path: String) throws -> PipelineSpec {
        try load(text: ConfigFile.text(at: path, what: "the pipeline file"), file: path)
    }

    public func load(text: String, file: String) throws -> PipelineSpec {
        let sink = DiagnosticSink()
        guard let root = ConfigFile.parse(text, file: file, environment: environment, diagnostics: sink) else {
            throw ValidationError(inFileOrder: sink.diagnostics)
        }
        let compiler = PipelineCompiler(registry: registry, diagnostics: sink)
        let declared = compiler.compile(root)
        compiler.checkEdges(declared)
        guard sink.diagnostics.isEmpty else { throw ValidationError(inFileOrder: sink.diagnostics) }
        let components = declared.compactMap(\.component)
        let graph = PipelineCompiler.makeGraph(components)
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return PipelineSpec(name: name, file: file, contentHash: ContentHash.fnv1a64(Array(text.utf8)),
                            components: components, graph: graph)
    }
}
