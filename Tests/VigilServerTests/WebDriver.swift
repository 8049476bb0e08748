import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// A W3C WebDriver client for Debian's `chromedriver` driving a headless `chromium`: enough of the
/// protocol (sessions, navigation, elements, scripts, screenshots, the browser's console log) for the
/// dashboard's tests, spoken over HTTP with the suite's own client instead of a Python dependency.
final class WebDriver: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }
    struct Element: Sendable { let id: String }

    private let driver: ChildProcess
    private let base: String
    private let session: String
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    }

    /// Starts chromedriver on a free port and opens a session with a new headless browser of `width`×`height`.
    /// Downloads go to `downloads`.
    init(width: Int = 1280, height: Int = 900, downloads: String) async throws {
        let port = try Self.freePort()
        driver = try ChildProcess(["/usr/bin/chromedriver", "--port=\(port)"], environment: ProcessInfo.processInfo.environment,
                                  directory: FileManager.default.temporaryDirectory.path, stdout: .discard, stderr: .discard)
        base = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(30)
        while (try? await Self.call(base, .GET, "/status", nil)) == nil {
            guard Date() < deadline else { driver.signal(SIGKILL); throw Failure(description: "chromedriver did not start on port \(port)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": ["binary": "/usr/bin/chromium",
                                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                            "--window-size=\(width),\(height)", "--no-first-run", "--disable-extensions"],
                                   "prefs": ["download.default_directory": downloads, "download.prompt_for_download": false]] as [String: Any],
            "goog:loggingPrefs": ["browser": "ALL"],
        ] as [String: Any]]]
        let created = try await Self.call(base, .POST, "/session", capabilities)
        guard let value = created["value"] as? [String: Any], let id = value["sessionId"] as? String else {
            driver.signal(SIGKILL)
            throw Failure(description: "no WebDriver session: \(created)")
        }
        session = id
    }

    func quit() async {
        _ = try? await Self.call(base, .DELETE, "/session/\(session)", nil)
        driver.signal(SIGTERM)
        _ = await driver.exited(timeout: 10)
    }

    // MARK: Commands

    func open(_ url: String) async throws { _ = try await command(.POST, "/url", ["url": url]) }

    func find(_ css: String) async throws -> Element? {
        let reply = try await command(.POST, "/elements", ["using": "css selector", "value": css])
        return (reply as? [[String: Any]])?.first.flatMap { ($0[Self.elementKey] as? String).map(Element.init) }
    }

    func findAll(_ css: String) async throws -> [Element] {
        let reply = try await command(.POST, "/elements", ["using": "css selector", "value": css])
        return (reply as? [[String: Any]] ?? []).compactMap { ($0[Self.elementKey] as? String).map(Element.init) }
    }

    /// Waits (polling) until `css` matches an element.
    func waitFor(_ css: String, timeout: Double = 60) async throws -> Element {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let element = try await find(css) { return element }
            guard Date() < deadline else { throw Failure(description: "no element matched \(css) within \(Int(timeout)) s") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func click(_ element: Element) async throws { _ = try await command(.POST, "/element/\(element.id)/click", [String: Any]()) }

    /// Clicks what `css` matches once it exists; found again if the page replaced it in between (stale).
    func click(_ css: String, timeout: Double = 60) async throws {
        for attempt in 1...5 {
            do {
                return try await click(try await waitFor(css, timeout: timeout))
            } catch let failure as Failure where failure.description.contains("stale element") && attempt < 5 {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
    func type(_ text: String, into element: Element) async throws { _ = try await command(.POST, "/element/\(element.id)/value", ["text": text]) }
    func text(_ element: Element) async throws -> String { try await command(.GET, "/element/\(element.id)/text", nil) as? String ?? "" }

    /// Runs `script` (a function body; `arguments` are passed) in the page and returns its result.
    func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command(.POST, "/execute/sync", ["script": script, "args": arguments])
    }

    /// Waits until `script` returns true.
    func waitUntil(_ what: String, timeout: Double = 60, _ script: String) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try await run(script) as? Bool == true { return }
            guard Date() < deadline else { throw Failure(description: "\(what): not within \(Int(timeout)) s") }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    func resize(width: Int, height: Int) async throws { _ = try await command(.POST, "/window/rect", ["width": width, "height": height]) }

    func screenshot(to path: String) async throws {
        guard let encoded = try await command(.GET, "/screenshot", nil) as? String, let data = Data(base64Encoded: encoded) else {
            throw Failure(description: "no screenshot")
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// The browser console's entries since the last call: (level, message).
    func consoleLog() async throws -> [(level: String, message: String)] {
        let entries = try await command(.POST, "/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.map { ($0["level"] as? String ?? "", $0["message"] as? String ?? "") }
    }

    // MARK: Protocol

    private func command(_ method: HTTPMethod, _ path: String, _ body: Any?) async throws -> Any? {
        let reply = try await Self.call(base, method, "/session/\(session)" + path, body)
        if let value = reply["value"] as? [String: Any], let error = value["error"] as? String {
            throw Failure(description: "\(method) \(path): \(error): \(value["message"] as? String ?? "")")
        }
        return reply["value"]
    }

    private static func call(_ base: String, _ method: HTTPMethod, _ path: String, _ body: Any?) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// A port nothing listens on now: the kernel's pick for a listener that is closed at once.
    private static func freePort() throws -> Int {
        let listener = try SilentListener()
        defer { listener.close() }
        return listener.port
    }
}
