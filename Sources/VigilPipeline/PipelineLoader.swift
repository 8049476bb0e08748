import Foundation
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
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw VigilError(.io, "cannot read the pipeline file: \(error.localizedDescription)", subject: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw VigilError(.invalidPipeline, "the pipeline file is not UTF-8 text", subject: path)
        }
        return try load(text: text, file: path)
    }

    public func load(text: String, file: String) throws -> PipelineSpec {
        let sink = DiagnosticSink()
        guard let root = YAMLLoader(file: file, environment: environment).load(text, diagnostics: sink) else {
            throw ValidationError(Self.inFileOrder(sink.diagnostics))
        }
        var compiler = PipelineCompiler(registry: registry, diagnostics: sink)
        let components = compiler.compile(root)
        let graph = compiler.makeGraph(components)
        compiler.checkEdges(graph, components: components)
        guard sink.diagnostics.isEmpty else { throw ValidationError(Self.inFileOrder(sink.diagnostics)) }
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return PipelineSpec(name: name, file: file, contentHash: ContentHash.fnv1a64(Array(text.utf8)),
                            components: components, graph: graph)
    }
}

extension PipelineLoader {
    /// Diagnostics sorted by position (stable, so problems at one place keep their order).
    static func inFileOrder(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let la = a.element.location, lb = b.element.location
            let ka = (la?.line ?? 0, la?.column ?? 0), kb = (lb?.line ?? 0, lb?.column ?? 0)
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
    }
}

/// The checks behind ``PipelineLoader``, shared by `validate`, `graph` and `run`.
struct PipelineCompiler {
    var registry: StageRegistry
    var diagnostics: DiagnosticSink
    /// Where each component's `inputs` entries are, for edge errors.
    private var inputLocations: [String: [SourceLocation]] = [:]
    /// Every id declared in the file, including components that failed their own validation.
    private var declaredIDs: Set<String> = []

    init(registry: StageRegistry, diagnostics: DiagnosticSink) {
        self.registry = registry
        self.diagnostics = diagnostics
    }

    mutating func compile(_ root: ConfigNode) -> [PipelineSpec.Component] {
        guard let entries = root.entries else {
            diagnostics.report("a pipeline file must be a mapping with 'sources', 'stages' and 'sinks', found \(root.shapeName)",
                               at: root.location)
            return []
        }
        let sectionNames = StageRole.allCases.map(\.section)
        for entry in entries where !sectionNames.contains(entry.key) && !PipelineLoader.metadataKeys.contains(entry.key) {
            var message = "unknown top-level key '\(entry.key)'"
            if let guess = Suggestion.closest(to: entry.key, among: sectionNames + PipelineLoader.metadataKeys) {
                message += "; did you mean '\(guess)'?"
            } else {
                message += "; expected 'sources', 'stages' or 'sinks'"
            }
            diagnostics.report(message, at: entry.keyLocation)
        }
        if root.entry("sources") == nil {
            diagnostics.report("the pipeline has no 'sources' section", at: root.location)
        }
        if root.entry("sinks") == nil {
            diagnostics.report("the pipeline has no 'sinks' section", at: root.location)
        }

        var components: [PipelineSpec.Component] = []
        var seen: [String: SourceLocation] = [:]
        for role in StageRole.allCases {
            guard let section = root.entry(role.section) else { continue }
            if case .null = section.value.value { continue }
            guard let members = section.value.entries else {
                diagnostics.report("'\(role.section)' must be a mapping of id to settings, found \(section.value.shapeName)",
                                   at: section.value.location)
                continue
            }
            for member in members {
                if let first = seen[member.key] {
                    diagnostics.report("duplicate id '\(member.key)' (first defined at \(first))", at: member.keyLocation)
                    continue
                }
                seen[member.key] = member.keyLocation
                declaredIDs.insert(member.key)
                if let component = compileComponent(member, role: role) { components.append(component) }
            }
        }
        return components
    }

    private mutating func compileComponent(_ member: ConfigNode.Entry, role: StageRole) -> PipelineSpec.Component? {
        let node = member.value
        guard node.entries != nil else {
            diagnostics.report("'\(member.key)' must be a mapping with a 'type', found \(node.shapeName)", at: node.location)
            return nil
        }
        guard let typeEntry = node.entry("type"), let typeName = typeEntry.value.scalar else {
            diagnostics.report("'\(member.key)' has no 'type'; expected one of: \(registry.names(for: role).joined(separator: ", "))",
                               at: member.keyLocation)
            return nil
        }
        let inputs = readInputs(member, role: role)
        guard let kind = registry.kind(named: typeName, role: role) else {
            reportUnknownType(typeName, role: role, at: typeEntry.value.location)
            return nil
        }
        let errorsBefore = diagnostics.diagnostics.count
        let reader = ConfigReader(node, diagnostics: diagnostics, handledKeys: ["type", "inputs"])
        let spec = kind.init(config: reader)
        reader.finish()
        guard diagnostics.diagnostics.count == errorsBefore else { return nil }
        return PipelineSpec.Component(id: member.key, role: role, typeName: typeName, inputs: inputs.map(\.0),
                                      spec: spec, location: member.keyLocation)
    }

    private mutating func readInputs(_ member: ConfigNode.Entry, role: StageRole) -> [(String, SourceLocation)] {
        let entry = member.value.entry("inputs")
        if role == .source {
            if let entry {
                diagnostics.report("sources take no 'inputs'", at: entry.keyLocation)
            }
            return []
        }
        guard let entry else {
            diagnostics.report("'\(member.key)' has no 'inputs'; list the ids it reads from, e.g. inputs: [camera]",
                               at: member.keyLocation)
            return []
        }
        var inputs: [(String, SourceLocation)] = []
        if let single = entry.value.scalar {
            inputs = [(single, entry.value.location)]
        } else if let items = entry.value.items {
            for item in items {
                if let id = item.scalar { inputs.append((id, item.location)) } else {
                    diagnostics.report("inputs must be ids, found \(item.shapeName)", at: item.location)
                }
            }
        } else {
            diagnostics.report("'inputs' must be a list of ids, found \(entry.value.shapeName)", at: entry.value.location)
        }
        if inputs.isEmpty, entry.value.items != nil {
            diagnostics.report("'inputs' is empty; list the ids '\(member.key)' reads from", at: entry.value.location)
        }
        inputLocations[member.key] = inputs.map(\.1)
        return inputs
    }

    private func reportUnknownType(_ name: String, role: StageRole, at location: SourceLocation) {
        let valid = registry.names(for: role)
        if let other = StageRole.allCases.first(where: { $0 != role && registry.kind(named: name, role: $0) != nil }) {
            diagnostics.report("'\(name)' is a \(other.rawValue) type and belongs under '\(other.section)', not '\(role.section)'",
                               at: location)
        } else if let guess = Suggestion.closest(to: name, among: valid) {
            diagnostics.report("unknown \(role.rawValue) type '\(name)'; did you mean '\(guess)'?", at: location)
        } else {
            diagnostics.report("unknown \(role.rawValue) type '\(name)'; expected one of: \(valid.joined(separator: ", "))",
                               at: location)
        }
    }

    func makeGraph(_ components: [PipelineSpec.Component]) -> PipelineGraph {
        PipelineGraph(nodes: components.map {
            .init(id: $0.id, role: $0.role, typeName: $0.typeName, inputs: $0.inputs, outputPort: $0.spec.outputPort,
                  inputPorts: $0.spec.inputPorts, frameRequirement: $0.spec.frameRequirement)
        })
    }

    /// Unknown inputs, inputs from sinks, port type mismatches, cycles.
    func checkEdges(_ graph: PipelineGraph, components: [PipelineSpec.Component]) {
        let allIDs = Array(declaredIDs)
        for component in components {
            let locations = inputLocations[component.id] ?? []
            for (offset, input) in component.inputs.enumerated() {
                let location = offset < locations.count ? locations[offset] : component.location
                guard let upstream = graph.node(input) else {
                    // A component that failed its own validation is reported there; only flag unknown ids.
                    if !declaredIDs.contains(input) {
                        var message = "unknown input '\(input)' of '\(component.id)'"
                        if let guess = Suggestion.closest(to: input, among: allIDs.filter { $0 != component.id }) {
                            message += "; did you mean '\(guess)'?"
                        }
                        diagnostics.report(message, at: location)
                    }
                    continue
                }
                if input == component.id {
                    diagnostics.report("'\(component.id)' cannot read from itself", at: location)
                    continue
                }
                guard let port = upstream.outputPort else {
                    diagnostics.report("'\(input)' is a sink and has no output for '\(component.id)' to read", at: location)
                    continue
                }
                if !component.spec.inputPorts.contains(port) {
                    let accepted = component.spec.inputPorts.map(\.rawValue).sorted().joined(separator: ", ")
                    diagnostics.report("port type mismatch: '\(input)' writes \(port) but '\(component.id)' (\(component.typeName)) reads \(accepted)",
                                       at: location)
                }
            }
        }
        if let cycle = graph.findCycle(), let first = components.first(where: { $0.id == cycle[0] }) {
            diagnostics.report("Cyclic dependency detected in the chain [ \(cycle.joined(separator: " -> ")) ]", at: first.location)
        }
    }
}
