import Foundation
import Testing
import VigilCore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// `vigil export report` of a real run, opened in headless Chromium (Debian's `chromium`): it renders
/// (a screenshot), shows every chart, logs nothing to the console, and sends no request anywhere (every
/// connection would go to a proxy that only counts them).
@Suite("Analytics report (CLI)") struct ReportTests {
    static let chromium = "/usr/bin/chromium"

    /// A proxy that answers nothing: on its own thread it accepts each connection, keeps its first line
    /// (`GET http://...` or `CONNECT host:443`) and closes it, so the browser fails fast.
    final class RequestTrap: @unchecked Sendable {
        let listener: SilentListener
        private let lock = NSLock()
        private var lines: [String] = []
        private var stopped = false

        init() throws {
            listener = try SilentListener()
            let fd = listener.descriptor
            Thread.detachNewThread { [self] in
                while true {
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&poller, 1, 100)
                    if lock.withLock({ stopped }) { return }
                    guard ready > 0 else { continue }
                    let client = accept(fd, nil, nil)
                    guard client >= 0 else { continue }
                    var buffer = [UInt8](repeating: 0, count: 512)
                    var reader = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                    let n = poll(&reader, 1, 1000) > 0 ? read(client, &buffer, buffer.count) : 0
                    let line = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? "?"
                    lock.withLock { lines.append(line) }
                    Glibc.close(client)
                }
            }
        }

        var requests: [String] { lock.withLock { lines } }

        func stop() {
            lock.withLock { stopped = true }
            Thread.sleep(forTimeInterval: 0.2)
            listener.close()
        }
    }

    /// Runs headless Chromium on `page` with all traffic sent to a ``RequestTrap``; returns its stderr,
    /// stdout and the requests that reached the proxy.
    static func open(_ page: String, _ extra: [String]) async throws -> (errors: String, output: String, requests: [String]) {
        let trap = try RequestTrap()
        defer { trap.stop() }
        let profile = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let result = try await ChildProcess.run([
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--disable-domain-reliability", "--metrics-recording-only", "--no-default-browser-check",
            "--proxy-server=http://127.0.0.1:\(trap.listener.port)", "--proxy-bypass-list=<-loopback>",
            "--enable-logging=stderr", "--log-level=0", "--window-size=1280,2400", "--virtual-time-budget=3000",
        ] + extra + ["file://" + page], timeout: 120)
        return (result.errors, result.output, trap.requests.filter { line in !browserServices.contains { line.contains($0) } })
    }

    /// Chromium's own background traffic (time, component updates, sign-in), which no flag of Debian's
    /// build silences in headless mode; anything else a page asks for is counted.
    static let browserServices = ["clients2.google.com", "update.googleapis.com", "accounts.google.com", "clients1.google.com",
                                  "content-autofill.googleapis.com", "optimizationguide-pa.googleapis.com", ".gvt1.com"]

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: chromium)))
    func reportOpensInChromiumWithEveryChartNoConsoleErrorsAndNoRequests() async throws {
        let run = try await ExportFixture.run()
        let page = run.directory + "/report.html"
        let result = try await ExportFixture.export(["report", "--camera", "plaza", "--out", page], url: run.url)
        #expect(result.status == 0, "\(result.stderr)")

        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!html.contains("<script"))
        #expect(html.contains("data:image/jpeg;base64,"), "the alert list embeds its snapshots")

        let screenshot = run.directory + "/report.png"
        let shot = try await Self.open(page, ["--screenshot=\(screenshot)"])
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
        let dom = try await Self.open(page, ["--dump-dom"])
        for id in ["objects-over-time", "occupancy-and-alerts", "dwell-distribution", "map-heat", "line-counts", "daily-statistics", "alerts"] {
            #expect(dom.output.contains("id=\"\(id)\""), "no \(id) in the rendered page")
        }
        #expect(dom.output.contains("class=\"series\"") && dom.output.contains("class=\"cell\"") && dom.output.contains("class=\"bar\""),
                "charts without data")
        for log in [shot.errors, dom.errors] {
            let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") }
            #expect(console.isEmpty, "console: \(console)")
        }
        #expect(shot.requests.isEmpty && dom.requests.isEmpty, "requests: \(shot.requests + dom.requests)")

        // Each chart as a PNG, rasterised by librsvg.
        for id in ["objects-over-time", "occupancy-and-alerts", "dwell-distribution", "map-heat", "line-counts"] {
            let chart = try Data(contentsOf: URL(fileURLWithPath: run.directory + "/report-charts/\(id).png"))
            #expect(chart.starts(with: [0x89, 0x50, 0x4E, 0x47]) && chart.count > 2000, "\(id).png")
        }
    }

    /// The checks above can fail: a page with a script error and an external image trips both.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: chromium)))
    func theBrowserChecksSeeConsoleErrorsAndRequests() async throws {
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let page = dir + "/bad.html"
        try "<html><body><script>missingFunction()</script><img src=\"http://203.0.113.7/x.png\"></body></html>"
            .write(toFile: page, atomically: true, encoding: .utf8)
        let result = try await Self.open(page, ["--dump-dom"])
        #expect(result.errors.contains(":CONSOLE"))
        #expect(result.requests.contains { $0.contains("203.0.113.7") }, "\(result.requests)")
    }
}
