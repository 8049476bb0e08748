public import VigilCore

/// The DAG of a pipeline: who feeds whom, with the port type of each component's output.
public struct PipelineGraph: Sendable {
    public struct Node: Sendable {
        public var id: String
        public var role: StageRole
        public var typeName: String
        public var inputs: [String]
        public var outputPort: PortType?
        public var inputPorts: Set<PortType>
        public var frameRequirement: FrameRequirement?
    }

    public private(set) var nodes: [Node]
    private var index: [String: Int]

    public init(nodes: [Node]) {
        self.nodes = nodes
        self.index = Dictionary(nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func node(_ id: String) -> Node? { index[id].map { nodes[$0] } }

    /// Ids of the components reading from `id`.
    public func consumers(of id: String) -> [String] {
        nodes.filter { $0.inputs.contains(id) }.map(\.id)
    }

    /// The first cycle found, as a chain that starts and ends with the same id.
    public func findCycle() -> [String]? {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var stack: [String] = []
        func visit(_ id: String) -> [String]? {
            if marks[id] == .done { return nil }
            if marks[id] == .visiting {
                let start = stack.lastIndex(of: id) ?? 0
                return Array(stack[start...]) + [id]
            }
            marks[id] = .visiting
            stack.append(id)
            for next in consumers(of: id) {
                if let cycle = visit(next) { return cycle }
            }
            stack.removeLast()
            marks[id] = .done
            return nil
        }
        for node in nodes {
            if let cycle = visit(node.id) { return cycle }
        }
        return nil
    }

    /// Ids in an order where every component comes after its inputs (graph must be acyclic).
    public var topologicalOrder: [String] {
        var remaining = Dictionary(nodes.map { ($0.id, Set($0.inputs.filter { index[$0] != nil })) },
                                   uniquingKeysWith: { a, _ in a })
        var order: [String] = []
        while !remaining.isEmpty {
            let ready = nodes.map(\.id).filter { remaining[$0]?.isEmpty == true }
            if ready.isEmpty { break }
            for id in ready {
                order.append(id)
                remaining[id] = nil
                for key in remaining.keys { remaining[key]?.remove(id) }
            }
        }
        return order
    }

    /// All components reachable downstream of `id`.
    public func downstream(of id: String) -> Set<String> {
        var seen: Set<String> = []
        var queue = consumers(of: id)
        while let next = queue.popLast() {
            if seen.insert(next).inserted { queue += consumers(of: next) }
        }
        return seen
    }

    /// All sources upstream of `id`.
    public func upstreamSources(of id: String) -> [String] {
        var seen: Set<String> = []
        var queue = node(id)?.inputs ?? []
        var sources: [String] = []
        while let next = queue.popLast() {
            guard seen.insert(next).inserted, let n = node(next) else { continue }
            if n.role == .source { sources.append(next) }
            queue += n.inputs
        }
        return sources.sorted()
    }

    /// Pixels a source must produce: what every component downstream of it needs, merged.
    /// Frames pass unchanged through transforms, so any consumer along the way counts.
    public func frameRequirement(forSource id: String) -> FrameRequirement? {
        var merged: FrameRequirement?
        for consumer in downstream(of: id) {
            guard let requirement = node(consumer)?.frameRequirement else { continue }
            merged = merged.map { $0.merged(with: requirement) } ?? requirement
        }
        return merged
    }
}
