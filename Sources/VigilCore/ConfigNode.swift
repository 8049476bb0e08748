/// A node of a parsed configuration file with the position it came from, so every error can say
/// `file:line:column`. The YAML layer builds it; stage specs read it through ``ConfigReader``.
public struct ConfigNode: Sendable {
    public indirect enum Value: Sendable {
        case scalar(String)
        case mapping([Entry])
        case sequence([ConfigNode])
        case null
    }

    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: ConfigNode
        public init(key: String, keyLocation: SourceLocation, value: ConfigNode) {
            self.key = key; self.keyLocation = keyLocation; self.value = value
        }
    }

    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) { self.value = value; self.location = location }

    public var scalar: String? { if case .scalar(let s) = value { s } else { nil } }
    public var entries: [Entry]? { if case .mapping(let e) = value { e } else { nil } }
    public var items: [ConfigNode]? { if case .sequence(let i) = value { i } else { nil } }

    /// The entry for `key` in a mapping.
    public func entry(_ key: String) -> Entry? { entries?.first { $0.key == key } }

    /// A short name of the node's shape for error messages.
    public var shapeName: String {
        switch value {
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .null: "nothing"
        }
    }
}
