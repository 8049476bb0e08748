import VigilCore

/// One entry of a pipeline section as written, whether or not its own settings are valid: enough to
/// check the graph around it, so a component with a bad setting still has its inputs, port types and
/// cycles checked in the same pass.
struct DeclaredComponent {
    struct Input {
        var id: String
        var location: SourceLocation
    }

    var id: String
    var role: StageRole
    var location: SourceLocation
    /// `nil` when the entry has no `type`.
    var typeName: String?
    var inputs: [Input]
    /// The kind's ports, known whenever the type is (a spec reports its problems but is always built).
    var inputPorts: Set<PortType>?
    var outputPort: PortType?
    var outputPorts: Set<PortType> = []
    /// The component, present only when its settings had no error.
    var component: PipelineSpec.Component?
}

/// The checks behind ``PipelineLoader``, shared by `validate`, `graph` and `run`: sections, types,
/// every component's own settings, then inputs, port types and cycles over every declared component.
struct PipelineCompiler {
    var registry: StageRegistry
    var diagnostics: DiagnosticSink

    init(registry: StageRegistry, diagnostics: DiagnosticSink) {
        self.registry = registry
        self.diagnostics = diagnostics
    }

    /// Every component declared in the file, in file order (sources, stages, sinks).
    func compile(_ root: ConfigNode) -> [DeclaredComponent] {
        guard let entries = root.entries else {
            diagnostics.report("a pipeline file must be a mapping with 'sources', 'stages' and 'sinks', found \(root.shapeName)",
                               at: root.location)
            return []
        }
        checkTopLevel(root, entries: entries)
        var declared: [DeclaredComponent] = []
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
                declared.append(declare(member, role: role))
            }
        }
        return declared
    }

    private func checkTopLevel(_ root: ConfigNode, entries: [ConfigNode.Entry]) {
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
    }

    private func declare(_ member: ConfigNode.Entry, role: StageRole) -> DeclaredComponent {
        let node = member.value
        var declared = DeclaredComponent(id: member.key, role: role, location: member.keyLocation, typeName: nil, inputs: [])
        guard node.entries != nil else {
            diagnostics.report("'\(member.key)' must be a mapping with a 'type', found \(node.shapeName)", at: node.location)
            return declared
        }
        declared.inputs = readInputs(member, role: role)
        guard let typeEntry = node.entry("type"), let typeName = typeEntry.value.scalar else {
            diagnostics.report("'\(member.key)' has no 'type'; expected one of: \(registry.names(for: role).joined(separator: ", "))",
                               at: member.keyLocation)
            return declared
        }
        declared.typeName = typeName
        guard let kind = registry.kind(named: typeName, role: role) else {
            reportUnknownType(typeName, role: role, at: typeEntry.value.location)
            return declared
        }
        let errorsBefore = diagnostics.diagnostics.count
        let reader = ConfigReader(node, diagnostics: diagnostics, handledKeys: ["type", "inputs"])
        let buffer = BufferSettings(reading: reader)
        let spec = kind.init(config: reader)
        reader.finish()
        declared.inputPorts = spec.inputPorts
        declared.outputPort = spec.outputPort
        declared.outputPorts = spec.outputPorts
        if diagnostics.diagnostics.count == errorsBefore {
            declared.component = PipelineSpec.Component(id: member.key, role: role, typeName: typeName,
                                                        inputs: declared.inputs.map(\.id), spec: spec,
                                                        location: member.keyLocation, buffer: buffer)
        }
        return declared
    }

    private func readInputs(_ member: ConfigNode.Entry, role: StageRole) -> [DeclaredComponent.Input] {
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
        var inputs: [DeclaredComponent.Input] = []
        if let single = entry.value.scalar {
            inputs = [.init(id: single, location: entry.value.location)]
        } else if let items = entry.value.items {
            for item in items {
                if let id = item.scalar { inputs.append(.init(id: id, location: item.location)) } else {
                    diagnostics.report("inputs must be ids, found \(item.shapeName)", at: item.location)
                }
            }
            if inputs.isEmpty, items.isEmpty {
                diagnostics.report("'inputs' is empty; list the ids '\(member.key)' reads from", at: entry.value.location)
            }
        } else {
            diagnostics.report("'inputs' must be a list of ids, found \(entry.value.shapeName)", at: entry.value.location)
        }
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

    /// Unknown inputs, inputs from sinks, port type mismatches and cycles, over every declared component.
    func checkEdges(_ declared: [DeclaredComponent]) {
        let byID = Dictionary(declared.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for component in declared {
            for input in component.inputs {
                if input.id == component.id {
                    diagnostics.report("'\(component.id)' cannot read from itself", at: input.location)
                    continue
                }
                guard let upstream = byID[input.id] else {
                    var message = "unknown input '\(input.id)' of '\(component.id)'"
                    if let guess = Suggestion.closest(to: input.id, among: declared.map(\.id).filter { $0 != component.id }) {
                        message += "; did you mean '\(guess)'?"
                    }
                    diagnostics.report(message, at: input.location)
                    continue
                }
                if upstream.role == .sink {
                    diagnostics.report("'\(input.id)' is a sink and has no output for '\(component.id)' to read", at: input.location)
                    continue
                }
                if upstream.typeName != nil, upstream.inputPorts != nil, let accepted = component.inputPorts,
                   accepted.isDisjoint(with: upstream.outputPorts) {
                    let names = accepted.map(\.rawValue).sorted().joined(separator: ", ")
                    let written = upstream.outputPorts.map(\.rawValue).sorted().joined(separator: ", ")
                    diagnostics.report("port type mismatch: '\(input.id)' writes \(written) but '\(component.id)' "
                                       + "(\(component.typeName ?? "?")) reads \(names)", at: input.location)
                }
            }
        }
        // Self-inputs are reported above; the cycle search covers longer chains.
        let graph = PipelineGraph(nodes: declared.map { component in
            .init(id: component.id, role: component.role, typeName: component.typeName ?? "",
                  inputs: component.inputs.map(\.id).filter { $0 != component.id && byID[$0] != nil },
                  outputPort: component.outputPort, inputPorts: component.inputPorts ?? [], frameRequirement: nil)
        })
        if let cycle = graph.findCycle(), let first = byID[cycle[0]] {
            diagnostics.report("Cyclic dependency detected in the chain [ \(cycle.joined(separator: " -> ")) ]", at: first.location)
        }
    }

    static func makeGraph(_ components: [PipelineSpec.Component]) -> PipelineGraph {
        PipelineGraph(nodes: components.map {
            .init(id: $0.id, role: $0.role, typeName: $0.typeName, inputs: $0.inputs, outputPort: $0.spec.outputPort,
                  inputPorts: $0.spec.inputPorts, frameRequirement: $0.spec.frameRequirement)
        })
    }
}
