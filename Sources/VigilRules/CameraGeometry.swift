public import VigilCore

/// The zones and lines of one camera, checked by the same reader as an `alert` stage's `zones:` and
/// `lines:` (so a camera's geometry stored through the API is exactly what a pipeline would accept).
public struct CameraGeometry: Sendable {
    public var zones: [ZoneDefinition]
    public var lines: [LineDefinition]

    /// Reads `zones` and `lines` (mappings of id -> settings, as in a pipeline file); every problem found
    /// goes to `diagnostics`, each at the location of the node it concerns.
    public init(zones: ConfigNode?, lines: ConfigNode?, diagnostics: DiagnosticSink) {
        let root = ConfigNode(.mapping([zones.map { ConfigNode.Entry(key: "zones", keyLocation: $0.location, value: $0) },
                                        lines.map { ConfigNode.Entry(key: "lines", keyLocation: $0.location, value: $0) }].compactMap { $0 }),
                              at: zones?.location ?? lines?.location ?? SourceLocation(file: "", line: 1, column: 1))
        let reader = ConfigReader(root, diagnostics: diagnostics)
        self.zones = AlertSpec.entries(reader, "zones").map { AlertSpec.readZone($0.id, $0.reader) }
        self.lines = AlertSpec.entries(reader, "lines").map { AlertSpec.readLine($0.id, $0.reader) }
    }

    /// Whether any zone or line is drawn in map metres (which needs the camera's homography).
    public var usesMap: Bool { zones.contains { $0.space == .map } || lines.contains { $0.space == .map } }
}
