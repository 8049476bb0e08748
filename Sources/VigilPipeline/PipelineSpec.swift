public import VigilCore

/// A validated pipeline: every component parsed and checked, edges typed, no cycles.
public struct PipelineSpec: Sendable {
    public struct Component: Sendable {
        public var id: String
        public var role: StageRole
        public var typeName: String
        public var inputs: [String]
        public var spec: any StageSpec
        public var location: SourceLocation
        /// `buffer:`: the queue in front of the component (see ``BufferSettings``).
        public var buffer = BufferSettings()
    }

    /// File name without directory and extension.
    public var name: String
    public var file: String
    /// FNV-1a 64-bit hash of the file's bytes, hex; identifies the pipeline version in `runs`.
    public var contentHash: String
    /// In file order: sources, then stages, then sinks.
    public var components: [Component]
    public var graph: PipelineGraph

    public func component(_ id: String) -> Component? { components.first { $0.id == id } }
    public var sources: [Component] { components.filter { $0.role == .source } }
}

enum ContentHash {
    static func fnv1a64(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
