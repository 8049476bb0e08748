import Testing
import VigilCore

@Suite("Value syntaxes")
struct ConfigValueParserTests {
    @Test(arguments: [
        ("500ms", 0.5), ("5s", 5), ("1m", 60), ("2h", 7200), ("1d", 86400), ("1w", 604_800),
        ("1m30s", 90), ("1h2m3.5s", 3723.5), ("30s1m", 90), ("5S", 5), ("1.5h", 5400), (".5s", 0.5), ("0s", 0),
        ("90", 90), ("2.5", 2.5), ("0", 0), ("1e3", 1000),
        ("01:30", 90), ("00:01:30", 90), ("1:02:03.5", 3723.5), ("90:00", 5400), ("0:59.9", 59.9),
    ])
    func durations(text: String, seconds: Double) {
        #expect(ConfigValueParser.duration(text) == seconds, "\(text)")
    }

    @Test(arguments: [
        "", " ", "5 parsecs", "parsecs", "s", "ms", "-1", "-1s", "+5s", "-0:30", "1m -30s", "5 s",
        "1m30", "5sec", "5mm", "1..5s", "1.2.3s", "1e", "1e3s", "inf", "nan", "infs", "0x10", "0x10s", "١٢s",
        ":", "::", "1:", ":30", "1:2:3:4", "0:60", "1:60:00", "1:-2", "1:inf", "1:0x1",
        String(repeating: "9", count: 400), String(repeating: "9", count: 400) + "s",
    ])
    func invalidDurations(text: String) {
        #expect(ConfigValueParser.duration(text) == nil, "\(text)")
    }

    @Test(arguments: [
        ("5", 5.0), ("5/s", 5), ("300/m", 5), ("7200/h", 2), ("10fps", 10), ("2.5fps", 2.5), ("10 FPS", 10),
        ("5/sec", 5), ("300/min", 5), ("3600/hour", 1), ("60/minute", 1), ("0.5", 0.5), ("5 / s", 5),
    ])
    func rates(text: String, perSecond: Double) {
        #expect(ConfigValueParser.rate(text) == perSecond, "\(text)")
    }

    @Test(arguments: ["", "0", "0/s", "-5", "-5/s", "fast", "fps", "/s", "5/", "5/d", "5/ms", "inf", "nan/s", "0x5", "1e400", "5fps/s"])
    func invalidRates(text: String) {
        #expect(ConfigValueParser.rate(text) == nil, "\(text)")
    }

    static let schemes: Set<String> = ["rtsp", "http", "https", "tcp", "udp", "file"]

    @Test(arguments: [
        "rtsp://cam.local/live", "RTSP://cam.local:554/live", "http://10.0.0.2:8080/a.ts", "tcp://127.0.0.1:9000",
        "udp://@:1234", "file:///tmp/a.mp4", "samples/vtest.avi", "/abs/path.mp4", "with space.mp4", "C:/video.mp4",
    ])
    func urlsAndPaths(text: String) {
        #expect(ConfigValueParser.url(text, schemes: Self.schemes, allowPath: true), "\(text)")
    }

    @Test(arguments: ["", "ftp://x/y", "rtsp://", "http:///x", "rtsp://cam local/live", "rtsp:/cam", "rtsp:cam", "RTSP:cam", "://x"])
    func invalidURLs(text: String) {
        #expect(!ConfigValueParser.url(text, schemes: Self.schemes, allowPath: true), "\(text)")
    }

    @Test func pathsOnlyWhenAllowed() {
        #expect(ConfigValueParser.url("rtsp://cam/live", schemes: Self.schemes, allowPath: false))
        #expect(!ConfigValueParser.url("samples/vtest.avi", schemes: Self.schemes, allowPath: false))
        #expect(!ConfigValueParser.url("udp://x", schemes: ["rtsp"], allowPath: true))
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "max_agee", among: ["max_age_seconds", "max_age"]) == "max_age")
        #expect(Suggestion.closest(to: "zzzzzz", among: ["fps", "url"]) == nil)
    }
}
