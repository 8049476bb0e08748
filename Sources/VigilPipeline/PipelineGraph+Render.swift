import VigilCore

/// Text renderings of the graph for `vigil graph`.
extension PipelineGraph {
    /// Graphviz DOT.
    public func dot(name: String) -> String {
        var lines = ["digraph \"\(escape(name))\" {", "  rankdir=LR;"]
        for node in nodes {
            let shape = switch node.role {
            case .source: "invhouse"
            case .transform: "box"
            case .sink: "house"
            }
            lines.append("  \"\(escape(node.id))\" [label=\"\(escape(node.id))\\n(\(escape(node.typeName)))\", shape=\(shape)];")
        }
        for node in nodes {
            for input in node.inputs {
                let port = self.node(input)?.outputPort?.rawValue ?? "?"
                lines.append("  \"\(escape(input))\" -> \"\(escape(node.id))\" [label=\"\(port)\"];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Mermaid flowchart.
    public func mermaid() -> String {
        var lines = ["flowchart LR"]
        let ids = Dictionary(nodes.enumerated().map { ($1.id, "n\($0)") }, uniquingKeysWith: { a, _ in a })
        for node in nodes {
            let label = "\(node.id)<br/>(\(node.typeName))".replacingQuotes
            let shaped = switch node.role {
            case .source: "[/\"\(label)\"/]"
            case .transform: "[\"\(label)\"]"
            case .sink: "[(\"\(label)\")]"
            }
            lines.append("  \(ids[node.id]!)\(shaped)")
        }
        for node in nodes {
            for input in node.inputs {
                guard let from = ids[input] else { continue }
                let port = self.node(input)?.outputPort?.rawValue ?? "?"
                lines.append("  \(from) -- \(port) --> \(ids[node.id]!)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

extension String {
    fileprivate var replacingQuotes: String { String(map { $0 == "\"" ? "'" : $0 }) }
}
