import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// The web dashboard in a real browser (Debian's chromium, headless, through chromedriver) against a
/// real server, a real `vigil worker` running a live task over samples/vtest.avi (motion, tracks, an
/// alert on every arrival, the preview sink) and PostgreSQL. An operator of tenant A logs in, sees only
/// A's camera with a preview that changes and a people count from the WebSocket, sees alerts arrive
/// without a reload and acknowledges one (the database says so), reads charts drawn with the API's
/// numbers and downloads an export equal to `vigil export`; a viewer gets no acknowledge button and the
/// API refuses them; tenant B's supervisor sees none of A. Every page is screenshotted and leaves no
/// console error.
@Suite("Web dashboard (browser)", .serialized) struct DashboardBrowserTests {
    static let screenshots = ServeProcessTests.packageRoot.appendingPathComponent(".build/screenshots").path

    static func pipeline(in dir: String, databaseURI: String) throws {
        try """
            sources:
              cam: {type: video, url: placeholder.avi, loop: true}
            stages:
              moving: {type: detect, inputs: [cam], kind: motion, label: person}
              tracks: {type: track, inputs: [moving]}
              alerts:
                type: alert
                inputs: [tracks]
                zones:
                  plaza: {polygon: [[0, 0], [768, 0], [768, 576], [0, 576]]}
                rules:
                  arrivals: {kind: zone_enter, zone: plaza, severity: warning, message: "{class} {track} arrived on the {zone}"}
            sinks:
              db: {type: postgres, inputs: [alerts], url: "\(databaseURI)", batch_age: 200ms}
              preview: {type: preview, inputs: [alerts], url: "\(databaseURI)", fps: 4}
            """.write(toFile: "\(dir)/watch.yaml", atomically: true, encoding: .utf8)
    }

    /// Logs in through the page's form and waits for the live page.
    static func logIn(_ browser: WebDriver, _ base: String, _ account: TestServer.Account) async throws {
        try await browser.open(base + "/#/live")
        let username = try await browser.waitFor("#username")
        try await browser.type(account.username, into: username)
        try await browser.type(account.password, into: try await browser.waitFor("#password"))
        try await browser.click("form.login button[type=submit]")
        _ = try await browser.waitFor("#cameras button.camera, #cameras p")
    }

    static func logOut(_ browser: WebDriver) async throws {
        try await browser.click("#logout")
        _ = try await browser.waitFor("#username")
    }

    /// Console errors since the last check (a page that logged one fails the test).
    /// The analytics page's driver-risk bars are the drivers of `/dms/report` for `account`, with its scores.
    static func expectDriverRisk(_ browser: WebDriver, _ server: TestServer, _ account: TestServer.Account, drivers: [String]) async throws {
        try await browser.open(server.base + "/#/analytics")
        _ = try await browser.waitFor("svg[data-chart=driver-risk]", timeout: 60)
        let day = ISO8601DateFormatter().string(from: Date()).prefix(10)
        let report = try await server.get("/api/v1/dms/report?period=day&date=\(day)T00:00:00Z", token: account.token)
        let rows = report["drivers"] as? [[String: Any]] ?? []
        let labels = try await browser.run("return [...document.querySelectorAll('svg[data-chart=driver-risk] rect')].map(r => r.dataset.label)") as? [String]
        let values = try await browser.run("return [...document.querySelectorAll('svg[data-chart=driver-risk] rect')].map(r => Number(r.dataset.value))") as? [Double]
        #expect(labels == drivers && labels == rows.compactMap { $0["driver"] as? String }, "drawn \(String(describing: labels)), API \(report.body)")
        #expect(values == rows.map { (($0["risk_score"] as? Double ?? -1) * 10).rounded() / 10 }, "drawn \(String(describing: values))")
        try await expectNoConsoleErrors(browser, "analytics of \(account.username)")
    }

    static func expectNoConsoleErrors(_ browser: WebDriver, _ page: String) async throws {
        let errors = try await browser.consoleLog().filter { $0.level == "SEVERE" }
        #expect(errors.isEmpty, "\(page): \(errors.map(\.message))")
    }

    @Test(.enabled(if: WebDriver.available, "needs Debian's chromium and chromium-driver (scripts/install-deps)"))
    func operatorsSeeTheirCamerasAlertsChartsAndExportsAndNothingOfAnotherTenant() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-dashboard-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/downloads", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.with({ $0.pipelinesDirectory = dir; $0.media.root = dir }) { server in
            try Self.pipeline(in: dir, databaseURI: server.database.url.uri)
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-plaza"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["b-secret-cam"])
            let camera = a.cameras[0]
            #expect(try await server.request(.PATCH, "/api/v1/cameras/\(camera)", token: admin.token,
                                             json: ["url": ProcessingTaskTests.vtest]).status == 200)
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let op = try await server.account("operator-a", role: .operator, tenant: a.id)
            let viewer = try await server.account("viewer-a", role: .viewer, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            _ = try await server.account("driver-a", role: .driver, tenant: a.id)
            _ = try await server.account("driver-b", role: .driver, tenant: b.id)
            for user in [op, viewer] {
                #expect(try await server.request(.PUT, "/api/v1/users/\(user.id)/cameras", token: sa.token, json: ["camera_ids": [camera]]).status == 200)
            }

            // Served as a web app should be: CSP without inline script, hashed assets cached for good, gzip.
            let page = try await server.request(.GET, "/", headers: [("Accept-Encoding", "gzip")])
            #expect(page.status == 200 && page.headers.first(name: "Content-Encoding") == "gzip" && page.headers.first(name: "Cache-Control") == "no-cache")
            let policy = page.headers.first(name: "Content-Security-Policy") ?? ""
            #expect(policy.contains("script-src 'self';") && !policy.contains("unsafe-inline"), "\(policy)")
            let plain = try await server.get("/")
            let asset = try #require(plain.body.range(of: #"/assets/[0-9a-f]{16}/js/main\.js"#, options: .regularExpression).map { String(plain.body[$0]) })
            let script = try await server.get(asset)
            #expect(script.status == 200 && script.headers.first(name: "Cache-Control") == "public, max-age=31536000, immutable")
            #expect(script.headers.first(name: "Content-Type") == "text/javascript; charset=utf-8")
            #expect(try await server.get("/assets/0000000000000000/js/main.js").status == 404)

            let worker = try ProcessingTaskTests.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }

            let browser = try await WebDriver(downloads: dir + "/downloads")
            do {
                // Tasks: the operator starts the live task from the page.
                try await Self.logIn(browser, server.base, op)
                try await browser.open(server.base + "/#/tasks")
                try await browser.type("watch", into: try await browser.waitFor("#t-pipeline"))
                try await browser.waitUntil("the camera list", "return document.querySelectorAll('#t-cameras option').length === 1")
                _ = try await browser.run("document.querySelector('#t-cameras option').selected = true; return true")
                try await browser.click("#t-start")
                _ = try await browser.waitFor("#tasks-body tr[data-task-id]", timeout: 30)
                let ids = try await server.strings("SELECT id FROM processing_tasks")
                let task = try #require(ids.first.flatMap { Int($0) }, "\(ids)")
                #expect(try await server.strings("SELECT pipeline, mode FROM processing_tasks WHERE id = \(task)") == ["watch|stream"])
                try await browser.waitUntil("the task running with frames", timeout: 120,
                                            "return /running, [1-9][0-9]* frames/.test(document.querySelector('#tasks-body tr[data-task-id]').textContent)")
                try await browser.screenshot(to: Self.screenshots + "/tasks.png")
                try await Self.expectNoConsoleErrors(browser, "tasks")

                // Live: A's camera only, a preview whose frames change, a people count from the tracking feed.
                try await browser.open(server.base + "/#/live")
                _ = try await browser.waitFor("#cameras button.camera", timeout: 60)
                let names = try await browser.run("return [...document.querySelectorAll('#cameras .name')].map(e => e.textContent)") as? [String]
                #expect(names == ["a-plaza"])
                try await browser.waitUntil("a preview frame", timeout: 120, "const i = document.querySelector('#cameras img'); return i.src.startsWith('blob:') && i.naturalWidth > 0")
                let first = try await browser.run("return document.querySelector('#cameras img').src") as? String
                try await browser.waitUntil("a newer preview frame", "return document.querySelector('#cameras img').src !== arguments[0]".replacingOccurrences(of: "arguments[0]", with: "'\(first ?? "")'"))
                try await browser.waitUntil("people counted from the tracking feed", timeout: 120, "return Number(document.querySelector('#cameras .count').dataset.count) > 0")
                #expect(try await browser.run("return document.querySelector('#cameras .status').textContent") as? String == "live")
                try await browser.click("#cameras button.camera")
                try await browser.waitUntil("the camera's tracks", "return document.querySelectorAll('#camera-detail table.tracks tbody tr').length > 0")
                try await browser.screenshot(to: Self.screenshots + "/live.png")
                try await Self.expectNoConsoleErrors(browser, "live")

                // Alerts: the list, then one that arrives over the WebSocket without a reload; acknowledge it.
                try await browser.open(server.base + "/#/alerts")
                _ = try await browser.waitFor("#alerts-body tr", timeout: 120)
                try await browser.waitUntil("an alert arriving live", timeout: 120, "return document.querySelector('#alerts-body tr.fresh') !== null")
                try await browser.waitUntil("the snapshot", timeout: 60, "const i = document.querySelector('#alerts-body img.thumb'); return i !== null && i.naturalWidth > 0")
                let id = try #require(try await browser.run("return Number(document.querySelector('#alerts-body tr button.acknowledge').closest('tr').dataset.eventId)") as? Int)
                try await browser.click("#alerts-body tr[data-event-id='\(id)'] button.acknowledge")
                try await browser.waitUntil("the row acknowledged", "return document.querySelector(\"#alerts-body tr[data-event-id='\(id)']\").dataset.acknowledged === 'true'")
                #expect(try await server.strings("SELECT acknowledged, acknowledged_by IS NOT NULL FROM events WHERE id = \(id)") == ["true|true"])
                try await browser.screenshot(to: Self.screenshots + "/alerts.png")
                try await Self.expectNoConsoleErrors(browser, "alerts")

                // Analytics, once the task stopped (fixed rows): the bars hold the API's numbers.
                try await browser.open(server.base + "/#/tasks")
                try await browser.click("#tasks-body button.stop")
                _ = try await ProcessingTaskTests.waitFor(server, task: task, token: sa.token) { $0["state"] as? String != "running" }
                try await browser.waitUntil("the task stopped on the page", "return document.querySelector('#tasks-body tr').dataset.state !== 'running'")
                try await browser.open(server.base + "/#/analytics")
                _ = try await browser.waitFor("svg[data-chart=hourly] rect", timeout: 60)
                let day = ISO8601DateFormatter().string(from: Date()).prefix(10)
                let api = try await server.get("/api/v1/analytics/period?period=day&date=\(day)T00:00:00Z", token: op.token)
                let hourly = (api["hourly_distribution"] as? [Int]) ?? []
                let drawn = try await browser.run("return [...document.querySelectorAll('svg[data-chart=hourly] rect')].map(r => Number(r.dataset.value))") as? [Int]
                #expect(drawn == hourly && hourly.reduce(0, +) > 0, "drawn \(String(describing: drawn)), API \(hourly)")
                let severity = (api["severity_breakdown"] as? [String: Int]) ?? [:]
                let bars = try await browser.run("return [...document.querySelectorAll('svg[data-chart=severity] rect')].map(r => Number(r.dataset.value))") as? [Int]
                #expect(bars == ["info", "warning", "critical"].map { severity[$0] ?? 0 })
                let people = (api["counts_over_time"] as? [[String: Any]] ?? []).reduce(0) { $0 + ((($1["tracks"] as? [String: Any])?["person"] as? Int) ?? 0) }
                let hours = try await browser.run("return [...document.querySelectorAll('svg[data-chart=people] rect')].map(r => Number(r.dataset.value))") as? [Int] ?? []
                #expect(hours.count == 24 && hours.reduce(0, +) == people && people > 0, "drawn \(hours), API total \(people)")
                try await browser.screenshot(to: Self.screenshots + "/analytics.png")
                try await Self.expectNoConsoleErrors(browser, "analytics")

                // Exports: the page's CSV equals `vigil export`.
                try await browser.open(server.base + "/#/exports")
                try await browser.waitUntil("the camera list", "return document.querySelectorAll('#e-cameras option').length === 1")
                try await browser.click("#e-start")
                try await browser.click("#exports button.download", timeout: 180)
                let expected = try await ExportAPITests.cliExport(server, cameras: ["a-plaza"], format: "csv", in: dir)
                var downloaded: Data?
                for _ in 0..<100 where downloaded == nil {
                    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/downloads")) ?? []
                    if let name = files.first(where: { $0.hasSuffix(".csv") }) { downloaded = FileManager.default.contents(atPath: dir + "/downloads/" + name) }
                    if downloaded == nil { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(downloaded == expected && expected.count > 1000, "downloaded \(downloaded?.count ?? -1) bytes, CLI \(expected.count)")
                try await browser.screenshot(to: Self.screenshots + "/exports.png")
                try await Self.expectNoConsoleErrors(browser, "exports")

                // A viewer: no acknowledge button, and the API refuses them.
                try await Self.logOut(browser)
                try await Self.logIn(browser, server.base, viewer)
                try await browser.open(server.base + "/#/alerts")
                _ = try await browser.waitFor("#alerts-body tr", timeout: 60)
                #expect(try await browser.findAll("button.acknowledge").isEmpty)
                let open = try #require(try await server.strings("SELECT id FROM events WHERE NOT acknowledged LIMIT 1").first)
                #expect(try await server.post("/api/v1/events/\(open)/acknowledge", token: viewer.token, [String: Any]()).status == 403)
                try await Self.expectNoConsoleErrors(browser, "alerts (viewer)")

                // A reload keeps the session (the refresh cookie), and the page never held the refresh token.
                try await browser.open(server.base + "/#/live")
                _ = try await browser.waitFor("#cameras button.camera")
                #expect(try await browser.run("return document.cookie") as? String == "")

                // The map renders (this camera has no homography, so the plan says so), without errors.
                try await browser.open(server.base + "/#/map")
                try await browser.waitUntil("the plan", "return document.querySelector('#map svg.plan') !== null")
                try await Self.expectNoConsoleErrors(browser, "map")

                // Administration, for A's supervisor: A's users only; the viewer's camera assignment shows.
                try await Self.logOut(browser)
                try await Self.logIn(browser, server.base, sa)
                try await browser.open(server.base + "/#/admin")
                try await browser.waitUntil("the users", "return document.querySelectorAll('#admin-users tbody tr').length > 0")
                let listed = try await browser.run("return [...document.querySelectorAll('#admin-users tbody tr td:first-child')].map(e => e.textContent).sort()") as? [String]
                #expect(listed == ["driver-a", "operator-a", "super-a", "viewer-a"], "\(String(describing: listed))")
                try await browser.click("#admin-users tr[data-user-id='\(viewer.id)'] button.assign")
                try await browser.waitUntil("the viewer's cameras", "const b = document.querySelector('#admin-assignments input[type=checkbox]'); return b !== null && b.checked")
                try await browser.waitUntil("the activity log", "return document.querySelectorAll('#admin-activity tbody tr').length > 0")
                try await browser.screenshot(to: Self.screenshots + "/admin.png")
                try await Self.expectNoConsoleErrors(browser, "administration")
                // The supervisor's analytics also chart the risk per driver of their tenant, as /dms/report gives it.
                try await Self.expectDriverRisk(browser, server, sa, drivers: ["driver-a"])
                try await Self.logOut(browser)

                // Sign-up with the e-mailed one-time code, then log-in.
                try await browser.click("#signup")
                try await browser.type("newcomer", into: try await browser.waitFor("#su-username"))
                try await browser.type("newcomer@example.com", into: try await browser.waitFor("#su-email"))
                try await browser.type("a long enough password", into: try await browser.waitFor("#su-password"))
                try await browser.click("form.login button[type=submit]")
                let field = try await browser.waitFor("#su-code")
                let code = try #require(try await AuthFlowTests.outboxCode(server, to: "newcomer@example.com"))
                try await browser.type(code, into: field)
                try await browser.click("form.login button[type=submit]")
                _ = try await browser.waitFor("#username")
                #expect(try await server.strings("SELECT status FROM users WHERE username = 'newcomer'") == ["active"])
                try await Self.logIn(browser, server.base, TestServer.Account(id: "", username: "newcomer", password: "a long enough password", token: "", refreshToken: ""))
                try await Self.expectNoConsoleErrors(browser, "sign-up")
                try await Self.logOut(browser)

                // Tenant B's supervisor: B's camera, none of A's names or alerts.
                try await Self.logIn(browser, server.base, sb)
                let theirs = try await browser.run("return [...document.querySelectorAll('#cameras .name')].map(e => e.textContent)") as? [String]
                #expect(theirs == ["b-secret-cam"])
                try await browser.open(server.base + "/#/alerts")
                _ = try await browser.waitFor("#alerts-status")
                try await browser.waitUntil("the list loaded", "return document.querySelector('#alerts-status').textContent !== 'Loading…'")
                let text = try await browser.run("return document.body.innerText") as? String ?? ""
                #expect(!text.contains("a-plaza") && !text.contains("arrived on the plaza"), "\(text.prefix(500))")
                try await Self.expectDriverRisk(browser, server, sb, drivers: ["driver-b"])
                try await browser.resize(width: 390, height: 844)
                try await browser.open(server.base + "/#/live")
                _ = try await browser.waitFor("#cameras button.camera")
                try await browser.screenshot(to: Self.screenshots + "/live-phone.png")
                try await Self.expectNoConsoleErrors(browser, "tenant B")
            } catch {
                try? await browser.screenshot(to: Self.screenshots + "/failure.png")
                await browser.quit()
                throw error
            }
            await browser.quit()
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}
