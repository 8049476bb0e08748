public import VigilCore

/// The table from `type:` names to stage kinds. The executable fills it (it is the composition root);
/// the runtime never names a kind itself.
public struct StageRegistry: Sendable {
    private var kinds: [StageRole: [String: any StageSpec.Type]] = [:]

    public init() {}

    public init(_ kinds: [any StageSpec.Type]) {
        for kind in kinds { register(kind) }
    }

    public mutating func register(_ kind: any StageSpec.Type) {
        kinds[kind.role, default: [:]][kind.typeName] = kind
    }

    public func kind(named name: String, role: StageRole) -> (any StageSpec.Type)? { kinds[role]?[name] }

    /// Type names valid in a section.
    public func names(for role: StageRole) -> [String] { (kinds[role]?.keys).map { Array($0).sorted() } ?? [] }

    /// Every registered kind, sorted by role and name.
    public var all: [any StageSpec.Type] {
        StageRole.allCases.flatMap { role in names(for: role).compactMap { kinds[role]?[$0] } }
    }
}
