import Testing
import VigilCore
import VigilRules

/// A camera's zones and lines (stored through the API) go through the alert stage's own reader: the same
/// geometry is accepted, the same mistakes are reported, each at its node.
@Suite("Camera geometry") struct CameraGeometryTests {
    static func node(_ value: ConfigNode.Value, _ path: String) -> ConfigNode { ConfigNode(value, at: SourceLocation(file: path, line: 1, column: 1)) }
    static func point(_ x: Double, _ y: Double, _ path: String) -> ConfigNode { node(.sequence([node(.scalar("\(x)"), path), node(.scalar("\(y)"), path)]), path) }
    static func shape(_ key: String, _ points: [(Double, Double)], _ path: String, extra: [ConfigNode.Entry] = []) -> ConfigNode {
        let list = node(.sequence(points.map { point($0.0, $0.1, path) }), path + "." + key)
        let here = SourceLocation(file: path, line: 1, column: 1)
        return node(.mapping([.init(key: key, keyLocation: here, value: list)] + extra), path)
    }
    static func mapping(_ id: String, _ value: ConfigNode, _ path: String) -> ConfigNode {
        node(.mapping([.init(key: id, keyLocation: SourceLocation(file: path, line: 1, column: 1), value: value)]), path)
    }

    @Test func acceptsWhatTheAlertStageAcceptsAndReportsItsMistakesAtTheirNodes() {
        let sink = DiagnosticSink()
        let map = ConfigNode.Entry(key: "space", keyLocation: SourceLocation(file: "zones.yard", line: 1, column: 1), value: Self.node(.scalar("map"), "zones.yard.space"))
        let good = CameraGeometry(zones: Self.mapping("yard", Self.shape("polygon", [(0, 0), (10, 0), (10, 15)], "zones.yard", extra: [map]), "zones"),
                                  lines: Self.mapping("gate", Self.shape("points", [(1, 1), (5, 5)], "lines.gate"), "lines"), diagnostics: sink)
        #expect(sink.diagnostics.isEmpty)
        #expect(good.zones.map(\.id) == ["yard"] && good.lines.map(\.id) == ["gate"])
        #expect(good.usesMap)
        let bad = DiagnosticSink()
        _ = CameraGeometry(zones: Self.mapping("door", Self.shape("polygon", [(0, 0), (1, 1)], "zones.door"), "zones"),
                           lines: Self.mapping("gate", Self.shape("points", [(1, 1), (1, 1)], "lines.gate"), "lines"), diagnostics: bad)
        #expect(bad.diagnostics.map(\.description) == ["zones.door.polygon:1:1: zone 'door': a polygon needs at least three corners",
                                                       "lines.gate.points:1:1: line 'gate': its two points are the same"])
    }
}
