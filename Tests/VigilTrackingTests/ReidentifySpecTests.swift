import Testing
import VigilCore
@testable import VigilTracking

/// Builds config nodes by hand (this module does not depend on the YAML layer); line numbers are the
/// order of creation so diagnostics can be checked for their position.
private final class NodeBuilder {
    var line = 0
    func loc() -> VigilCore.SourceLocation { line += 1; return VigilCore.SourceLocation(file: "site.yaml", line: line, column: 3) }
    func scalar(_ s: String) -> ConfigNode { ConfigNode(.scalar(s), at: loc()) }
    func list(_ items: [ConfigNode]) -> ConfigNode { ConfigNode(.sequence(items), at: loc()) }
    func map(_ pairs: [(String, ConfigNode)]) -> ConfigNode {
        let at = loc()
        return ConfigNode(.mapping(pairs.map { ConfigNode.Entry(key: $0.0, keyLocation: $0.1.location, value: $0.1) }), at: at)
    }
    func points(_ p: [(Double, Double)]) -> ConfigNode { list(p.map { list([scalar("\($0.0)"), scalar("\($0.1)")]) }) }
}

private func parse(_ node: ConfigNode) -> (ReidentifySpec, [Diagnostic]) {
    let sink = DiagnosticSink()
    let spec = ReidentifySpec(config: ConfigReader(node, diagnostics: sink))
    return (spec, sink.diagnostics)
}

@Test func reidentifyConfigReadsCamerasHomographiesAndLinks() {
    let b = NodeBuilder()
    let node = b.map([
        ("similarity_threshold", b.scalar("0.7")),
        ("cameras", b.map([
            ("left", b.map([
                ("homography", b.map([("image", b.points([(533, 269), (620, 190), (315, 239), (655, 350), (447, 212)])),
                                      ("map", b.points([(4, 18), (8, 24), (-2, 20), (6, 14), (2, 22)]))])),
                ("links", b.list([b.map([("to", b.scalar("right")), ("min_transit_seconds", b.scalar("0")),
                                         ("max_transit_seconds", b.scalar("10s"))])])),
            ])),
            ("right", b.map([])),
        ])),
    ])
    let (spec, diagnostics) = parse(node)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    #expect(spec.identity.similarityThreshold == 0.7)
    #expect(spec.identity.links == [CameraLink("left", "right", minTransitSeconds: 0, maxTransitSeconds: 10)])
    let p = spec.homographies["left"]?.apply(533, 269)
    #expect(p != nil && abs(p!.x - 4) < 0.3 && abs(p!.y - 18) < 0.3, "least-squares fit of 5 rounded pairs: \(String(describing: p))")
}

@Test func reidentifyConfigReportsDegenerateHomographiesWithTheirPosition() {
    let b = NodeBuilder()
    let homography = b.map([("image", b.points([(0, 0), (10, 0), (20, 0), (30, 0)])),
                            ("map", b.points([(0, 0), (1, 0), (1, 1), (0, 1)]))])
    let node = b.map([
        ("cameras", b.map([("cam", b.map([("homography", homography),
                                          ("links", b.list([b.map([("to", b.scalar("nowhere")),
                                                                   ("max_transit_seconds", b.scalar("5"))])]))]))])),
        ("similarity_treshold", b.scalar("0.5")),
    ])
    let (_, diagnostics) = parse(node)
    let text = diagnostics.map(\.description)
    #expect(diagnostics.contains { $0.message.contains("invalid homography") && $0.message.contains("one line")
                                   && $0.location == homography.location }, "\(text)")
    #expect(diagnostics.contains { $0.message.contains("'nowhere'") }, "\(text)")
    #expect(diagnostics.contains { $0.message.contains("did you mean 'similarity_threshold'") }, "\(text)")
}

@Test func trackConfigValidatesThresholds() {
    let b = NodeBuilder()
    let sink = DiagnosticSink()
    let spec = TrackSpec(config: ConfigReader(b.map([("high_threshold", b.scalar("0.4")), ("low_threshold", b.scalar("0.5")),
                                                     ("max_age_seconds", b.scalar("3s")), ("min_hits", b.scalar("0"))]),
                                              diagnostics: sink))
    #expect(spec.configuration.maxAgeSeconds == 3)
    #expect(sink.diagnostics.contains { $0.message.contains("low_threshold") })
    #expect(sink.diagnostics.contains { $0.message.contains("min_hits") })
}
