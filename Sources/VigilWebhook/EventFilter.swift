public import VigilCore

/// Which events a webhook delivers: `kinds` (event kinds, e.g. `dwell`) and `phases` (`start`, `update`,
/// `end`). An empty list means all. Events without a lifecycle (a stream gap) have no phase and are
/// not filtered by `phases`; leave them out with `kinds`.
public struct EventFilter: Sendable, Hashable {
    public var kinds: Set<String> = []
    public var phases: Set<Event.Phase> = []

    public init(kinds: Set<String> = [], phases: Set<Event.Phase> = []) { self.kinds = kinds; self.phases = phases }

    init(config: ConfigReader) {
        for kind in Self.list(config, "kinds") {
            if let text = kind.scalar, !text.isEmpty { kinds.insert(text) } else {
                config.error("'kinds' must contain event kinds such as dwell or zone_enter, found \(kind.shapeName)",
                             at: kind.location)
            }
        }
        let names = Event.Phase.allCases.map(\.rawValue).joined(separator: ", ")
        for phase in Self.list(config, "phases") {
            if let text = phase.scalar, let value = Event.Phase(rawValue: text) { phases.insert(value) } else {
                config.error("invalid phase '\(phase.scalar ?? phase.shapeName)' in 'phases': expected \(names)",
                             at: phase.location)
            }
        }
    }

    public func accepts(_ event: Event) -> Bool {
        if !kinds.isEmpty, !kinds.contains(event.kind) { return false }
        if !phases.isEmpty, let phase = event.phase, !phases.contains(phase) { return false }
        return true
    }

    /// The items of a list (or a single scalar) under `key`, each with its position.
    private static func list(_ config: ConfigReader, _ key: String) -> [ConfigNode] {
        guard let node = config.raw(key) else { return [] }
        if node.scalar != nil { return [node] }
        guard let items = node.items else {
            config.error("'\(key)' must be a list, found \(node.shapeName)", at: node.location)
            return []
        }
        return items
    }
}
