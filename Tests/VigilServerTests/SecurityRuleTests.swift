import Foundation
import NIOHTTP1
import Testing
import VigilServer
import VigilStore

@Suite("Security rules") struct SecurityRuleTests {
    /// A user who always logged in at one hour logs in at another: an `unusual_login_hour` alert. A
    /// first log-in (no history) raises none.
    @Test func aLogInAtAnHourNotUsedInThirtyDaysRaisesAnAlert() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let user = try await server.account("nightowl", role: .operator)
            var rules = (try await server.get("/api/v1/security/alerts", token: admin.token)["alerts"] as? [[String: Any]] ?? []).map { $0["rule"] as? String }
            #expect(!rules.contains("unusual_login_hour"), "no history, no alert")
            // History: five log-ins on earlier days, always six hours away from now.
            let days = (1...5).map { UTCDay(Date()).adding(-$0) }
            try await PartitionManager(database: server.database).ensure(days: Set(days), tables: ["activity_logs"])
            try await server.database.execute(sql: "DELETE FROM activity_logs WHERE action = 'auth.login'", doing: "test history")
            try await server.database.execute(sql: """
                INSERT INTO activity_logs (time, tenant_id, user_id, username, address, action, outcome)
                SELECT date_trunc('day', now()) - d * interval '1 day'
                       + ((extract(hour FROM now() AT TIME ZONE 'UTC')::int + 6) % 24) * interval '1 hour', 1,
                       '\(user.id)'::uuid, 'nightowl', '10.0.0.1', 'auth.login', 'success'
                FROM generate_series(1, 5) d
                """, doing: "test history")
            #expect(try await server.post("/api/v1/auth/login", ["username": "nightowl", "password": user.password]).status == 200)
            let alerts = try await server.get("/api/v1/security/alerts?rule=unusual_login_hour", token: admin.token)["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.count == 1)
            #expect(((alerts.first?["attributes"] as? [String: Any])?["username"] as? String) == "nightowl")
            #expect(alerts.first?["severity"] as? String == "info")
            // The admin's own log-in (no history) raised nothing.
            rules = alerts.map { $0["rule"] as? String }
            #expect(rules == ["unusual_login_hour"])
        }
    }
}
