import Foundation
import HummingbirdWSClient
import NIOHTTP1
import NIOWebSocket
import Synchronization
import Testing
@testable import VigilServer
import VigilStore

/// The facility activity pack over a real server and PostgreSQL: the dashboard's counts equal the same
/// counts taken directly in SQL, per tenant and for an administrator; departments, a staff member's
/// activity and performance, suspicious activity and the role channels of the WebSocket, each scoped.
@Suite("Facility dashboard", .serialized) struct FacilityDashboardTests {
    @Test func countsEqualSQLAndEveryListStaysInItsTenant() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["gate", "hall"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["dock"])
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let op = try await server.account("guard-a", role: .operator, tenant: a.id)
            let viewer = try await server.account("viewer-a", role: .viewer, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            // Five failed log-ins for the guard (a security alert), refused requests of tenant B's supervisor.
            for _ in 0..<5 { _ = try await server.post("/api/v1/auth/login", ["username": "guard-a", "password": "not the password at all"]) }
            for _ in 0..<3 { #expect(try await server.get("/api/v1/cameras/\(a.cameras[0])", token: sb.token).status == 404) }
            // Camera alerts of today (one acknowledged by the guard 30 s after it started), and an old one.
            try await server.database.execute(sql: """
                INSERT INTO events (time, camera_id, run_id, media_time, rule, kind, severity, message, alert_id, phase, tenant_id)
                VALUES (now() - interval '30 seconds', \(a.cameras[0]), NULL, 0, 'intrusion', 'zone_enter', 'critical', 'in', 'x:1', 'end', \(a.id)),
                       (now() - interval '10 seconds', \(a.cameras[1]), NULL, 0, 'loitering', 'dwell', 'warning', 'loiter', 'x:2', 'end', \(a.id)),
                       (now() - interval '5 seconds', \(b.cameras[0]), NULL, 0, 'intrusion', 'zone_enter', 'info', 'in', 'x:3', 'end', \(b.id))
                """, doing: "test alerts")
            let first = try #require(try await server.strings("SELECT id FROM events WHERE alert_id = 'x:1'").first)
            #expect(try await server.request(.PUT, "/api/v1/users/\(op.id)/cameras", token: sa.token, json: ["camera_ids": a.cameras]).status == 200)
            #expect(try await server.post("/api/v1/events/\(first)/acknowledge", token: op.token, [String: Any]()).status == 200)

            // The dashboard: a supervisor counts their tenant, an administrator all or one tenant.
            for (token, tenant, query) in [(sa.token, a.id, ""), (admin.token, nil as Int?, ""), (admin.token, b.id, "?tenant_id=\(b.id)")] {
                let stats = try await server.get("/api/v1/admin/dashboard/stats\(query)", token: token)
                #expect(stats.status == 200, "\(stats.body)")
                let expected = try await Self.expectedStats(server, tenant: tenant)
                #expect(Self.flatten(stats.json ?? [:]).filter { !$0.key.hasPrefix("as_of") && !$0.key.hasPrefix("since") } == expected,
                        "tenant \(tenant.map(String.init) ?? "all"): \(stats.body)")
            }
            for token in [op.token, viewer.token] { #expect(try await server.get("/api/v1/admin/dashboard/stats", token: token).status == 403) }

            // Departments: made by a supervisor in their tenant; another tenant's supervisor sees none of it.
            let made = try await server.post("/api/v1/admin/departments", token: sa.token, ["name": "Security", "description": "the guards"])
            let department = try #require(made["id"] as? Int, "\(made.body)")
            #expect(try await server.post("/api/v1/admin/departments", token: sa.token, ["name": "security"]).status == 409)
            #expect(try await server.post("/api/v1/admin/departments", token: sa.token, ["name": "Other", "tenant_id": b.id]).status == 403)
            #expect(try await server.request(.PUT, "/api/v1/admin/departments/\(department)/members/\(op.id)", token: sa.token).status == 200)
            #expect(try await server.request(.PUT, "/api/v1/admin/departments/\(department)/members/\(sb.id)", token: sa.token).status == 404)
            #expect(try await server.request(.PUT, "/api/v1/admin/departments/\(department)/members/\(op.id)", token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/admin/departments/\(department)", token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/admin/departments/\(department)/statistics", token: sb.token).status == 404)
            #expect(try await server.request(.DELETE, "/api/v1/admin/departments/\(department)/members/\(op.id)", token: sb.token).status == 404)
            #expect(((try await server.get("/api/v1/admin/departments", token: sb.token))["departments"] as? [Any])?.isEmpty == true)
            #expect((try await server.get("/api/v1/users/\(op.id)", token: sa.token))["department_id"] as? Int == department)
            let statistics = try await server.get("/api/v1/admin/departments/\(department)/statistics?period=day", token: sa.token)
            #expect(statistics["members"] as? Int == 1 && statistics["alerts_acknowledged"] as? Int == 1, "\(statistics.body)")
            let response = statistics["mean_response_seconds"] as? Double ?? 0
            #expect(response >= 30 && response < 120, "\(statistics.body)")
            let memberActions = try await server.strings("""
                SELECT count(*) FROM activity_logs WHERE user_id = '\(op.id)' AND time >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                """)
            #expect(memberActions == ["\(statistics["actions"] as? Int ?? -1)"], "\(statistics.body)")

            // A staff member's activity and performance, equal to their rows.
            let activity = try await server.get("/api/v1/admin/staff/\(op.id)/activity?period=day", token: sa.token)
            #expect(memberActions == ["\(activity["actions"] as? Int ?? -1)"], "\(activity.body)")
            #expect((activity["by_outcome"] as? [String: Int])?["failure"] == 5, "\(activity.body)")
            let performance = try await server.get("/api/v1/admin/staff/\(op.id)/performance?period=week", token: sa.token)
            #expect(performance["alerts_acknowledged"] as? Int == 1 && (performance["median_response_seconds"] as? Double ?? 0) >= 30,
                    "\(performance.body)")
            #expect(try await server.get("/api/v1/admin/staff/\(op.id)/activity", token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/admin/staff/\(op.id)/performance", token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/admin/staff/\(op.id)/performance", token: op.token).status == 403)

            // Suspicious activity: the guard's failed log-ins and their security alert for tenant A; B's refused
            // requests for B's supervisor (and the administrator), not for A's.
            func kinds(_ token: String) async throws -> [String: [String: Any]] {
                let list = try await server.get("/api/v1/admin/suspicious-activity", token: token)
                #expect(list.status == 200, "\(list.body)")
                var out: [String: [String: Any]] = [:]
                for item in list["items"] as? [[String: Any]] ?? [] { out["\(item["kind"] ?? "")/\(item["reason"] ?? "")"] = item }
                return out
            }
            let forA = try await kinds(sa.token)
            #expect(forA["failed_logins/auth.login"]?["count"] as? Int == 5 && forA["security_alert/failed_logins"] != nil, "\(forA.keys)")
            #expect(!forA.keys.contains { $0.hasPrefix("denied_access") }, "\(forA.keys)")
            let forB = try await kinds(sb.token)
            #expect(forB.values.contains { $0["kind"] as? String == "denied_access" && $0["count"] as? Int == 3 }, "\(forB.keys)")
            #expect(forB["failed_logins/auth.login"] == nil)
            #expect(try await kinds(admin.token).count >= forA.count + forB.count)

            #expect(try await server.request(.DELETE, "/api/v1/admin/departments/\(department)", token: sb.token).status == 404)
            #expect(try await server.request(.DELETE, "/api/v1/admin/departments/\(department)", token: sa.token).status == 204)
            #expect((try await server.get("/api/v1/users/\(op.id)", token: sa.token))["department_id"] == nil)
        }
    }

    /// The role channels deliver activity and security alerts as they happen, each to whom it is visible.
    @Test func roleChannelsDeliverActivityAndSecurityAlertsInScope() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: [])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: [])
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let op = try await server.account("guard-a", role: .operator, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let received = Mutex<[[String: Any]]>([])
            let texts = Mutex<[String]>([])
            _ = try await WebSocketTests.connect(server, token: sa.token) { messages, outbound in
                var messages = messages
                _ = try await messages.next()
                try await outbound.write(.text(#"{"type":"subscribe","channel":"admin"}"#))
                #expect(WebSocketTests.json(try await messages.next())["type"] as? String == "subscribed")
                #expect(try await server.post("/api/v1/activity", token: sb.token, ["action": "b-did-this"]).status == 201)
                for _ in 0..<5 { _ = try await server.post("/api/v1/auth/login", ["username": "guard-a", "password": "not the password at all"]) }
                while let message = try await messages.next() {
                    guard case .text(let text) = message else { continue }
                    texts.withLock { $0.append(text) }
                    if WebSocketTests.json(message)["kind"] as? String == "security" { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            received.withLock { $0 = texts.withLock { $0 }.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] } }
            let all = received.withLock { $0 }
            #expect(all.allSatisfy { $0["channel"] as? String == "admin" })
            #expect(all.contains { $0["kind"] as? String == "activity" && ($0["data"] as? [String: Any])?["action"] as? String == "auth.login" })
            #expect(all.contains { $0["kind"] as? String == "security" && ($0["data"] as? [String: Any])?["rule"] as? String == "failed_logins" })
            #expect(!all.contains { ($0["data"] as? [String: Any])?["action"] as? String == "client.b-did-this" })
            // Who may subscribe to which.
            for (token, channel, outcome) in [(op.token, "admin", "error"), (op.token, "staff", "subscribed"), (op.token, "user", "subscribed"),
                                              (sa.token, "staff", "subscribed")] {
                _ = try await WebSocketTests.connect(server, token: token) { messages, outbound in
                    var messages = messages
                    _ = try await messages.next()
                    try await outbound.write(.text(#"{"type":"subscribe","channel":"\#(channel)"}"#))
                    let reply = WebSocketTests.json(try await messages.next())
                    #expect(reply["type"] as? String == outcome, "\(channel): \(reply)")
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    /// The dashboard's numbers for `tenant` (nil: all), counted here in SQL of their own.
    static func expectedStats(_ server: TestServer, tenant: Int?) async throws -> [String: String] {
        let t = { (alias: String) in tenant.map { "\(alias).tenant_id = \($0)" } ?? "TRUE" }
        let today = "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        var out: [String: String] = [:]
        func one(_ key: String, _ sql: String) async throws { out[key] = try await server.strings(sql).first ?? "" }
        func grouped(_ prefix: String, _ sql: String) async throws {
            for row in try await server.strings(sql) {
                let parts = row.split(separator: "|").map(String.init)
                out["\(prefix).\(parts[0])"] = parts[1]
            }
        }
        try await one("users.total", "SELECT count(*) FROM users u WHERE \(t("u"))")
        try await grouped("users.by_role", "SELECT role, count(*) FROM users u WHERE \(t("u")) GROUP BY 1")
        try await grouped("users.by_status", "SELECT status, count(*) FROM users u WHERE \(t("u")) GROUP BY 1")
        let live = """
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE \(t("u")) AND s.revoked_at IS NULL AND s.id IN (
                SELECT family FROM refresh_tokens WHERE rotated_at IS NULL AND expires_at > now())
            """
        try await one("active_sessions.logins", "SELECT count(*) \(live)")
        try await one("active_sessions.users", "SELECT count(DISTINCT s.user_id) \(live)")
        try await one("active_sessions.monitoring", "SELECT count(*) FROM dms_sessions d WHERE \(t("d")) AND ended_at IS NULL")
        try await one("active_sessions.processing_tasks", """
            SELECT count(DISTINCT p.id) FROM processing_tasks p JOIN processing_task_cameras tc ON tc.task_id = p.id
            JOIN jobs j ON j.id = tc.job_id WHERE \(t("p")) AND j.state = 'running'
            """)
        try await one("activity_today.total", "SELECT count(*) FROM activity_logs a WHERE \(t("a")) AND time >= \(today)")
        try await grouped("activity_today.by_outcome", "SELECT outcome, count(*) FROM activity_logs a WHERE \(t("a")) AND time >= \(today) GROUP BY 1")
        try await one("activity_today.active_users", "SELECT count(DISTINCT user_id) FROM activity_logs a WHERE \(t("a")) AND time >= \(today)")
        let alerts = "FROM events e JOIN cameras c ON c.id = e.camera_id WHERE \(t("c")) AND alert_id IS NOT NULL AND e.time >= \(today)"
        try await one("alerts_today.total", "SELECT count(*) \(alerts)")
        try await grouped("alerts_today.by_severity", "SELECT severity, count(*) \(alerts) GROUP BY 1")
        try await one("alerts_today.unacknowledged", "SELECT count(*) \(alerts) AND NOT acknowledged")
        try await one("alerts_today.security", "SELECT count(*) FROM events e WHERE kind = 'security' AND \(t("e")) AND time >= \(today)")
        try await one("cameras.total", "SELECT count(*) FROM cameras c WHERE \(t("c"))")
        try await one("cameras.online", """
            SELECT count(DISTINCT c.id) FROM cameras c JOIN processing_task_cameras tc ON tc.camera_id = c.id JOIN jobs j ON j.id = tc.job_id
            JOIN runs r ON r.job_id = j.id WHERE \(t("c")) AND j.state = 'running' AND r.status = 'running'
            """)
        return out
    }

    /// `{"a": {"b": 1}}` as `["a.b": "1"]`.
    static func flatten(_ object: [String: Any], prefix: String = "") -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in object {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            if let nested = value as? [String: Any] { out.merge(flatten(nested, prefix: path)) { $1 } } else { out[path] = "\(value)" }
        }
        return out
    }
}
