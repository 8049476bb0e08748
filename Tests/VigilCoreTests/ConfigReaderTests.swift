import Testing
import VigilCore

/// The typed accessors of ``ConfigReader``: a valid value is returned, an invalid one is reported at its
/// position (and the accessor returns nil), whatever else the mapping holds.
@Suite("Config reader values")
struct ConfigReaderTests {
    /// A reader over `key: value` with the value at line 1, column 6 of `p.yaml`.
    func read<T>(_ value: String, _ accessor: (ConfigReader) -> T?) -> (value: T?, diagnostics: [String]) {
        let at = SourceLocation(file: "p.yaml", line: 1, column: 1)
        let node = ConfigNode(.mapping([ConfigNode.Entry(key: "key", keyLocation: at,
                                                         value: ConfigNode(.scalar(value), at: SourceLocation(file: "p.yaml", line: 1, column: 6)))]),
                              at: at)
        let sink = DiagnosticSink()
        let reader = ConfigReader(node, diagnostics: sink)
        let result = accessor(reader)
        reader.finish()
        return (result, sink.diagnostics.map(\.description))
    }

    @Test(arguments: [("0", 0.0), ("1", 1), ("0.35", 0.35), (" 0.5 ", 0.5), ("1e-1", 0.1), ("1.0", 1)])
    func thresholds(text: String, value: Double) {
        let (read, diagnostics) = read(text) { $0.threshold("key") }
        #expect(read == value && diagnostics.isEmpty, "\(text): \(diagnostics)")
    }

    @Test(arguments: ["1.5", "-0.1", "1.0001", "high", "", "nan", "inf", "50%"])
    func invalidThresholds(text: String) {
        let (read, diagnostics) = read(text) { $0.threshold("key") }
        #expect(read == nil)
        #expect(diagnostics == ["p.yaml:1:6: invalid value '\(text)' for 'key': expected a number in 0.0...1.0"])
    }

    @Test func durationsAndRatesAreReportedWithTheExpectedSyntax() {
        #expect(read("1m30s") { $0.duration("key") }.value == 90)
        #expect(read("5 parsecs") { $0.duration("key") }.diagnostics
            == ["p.yaml:1:6: invalid value '5 parsecs' for 'key': expected a duration such as 500ms, 5s, 1m or 2h"])
        #expect(read("300/m") { $0.rate("key") }.value == 5)
        #expect(read("fast") { $0.rate("key") }.diagnostics
            == ["p.yaml:1:6: invalid value 'fast' for 'key': expected a positive rate such as 5, 5/s, 300/m or 10fps"])
        #expect(read("rtsp:/cam") { $0.url("key", schemes: ["rtsp"]) }.diagnostics
            == ["p.yaml:1:6: invalid value 'rtsp:/cam' for 'key': expected a file path or a URL (rtsp://)"])
    }
}
