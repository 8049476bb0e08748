import Foundation
import NIOHTTP1
import Testing
import VigilServer

/// Brute force, hostile input and oversized bodies: limited, refused with a clear status, never a 500.
@Suite("Abuse") struct AbuseTests {
    @Test func bruteForceLoginIsLimitedAndRaisesAnAlert() async throws {
        // The default budget (5 a minute, 20 an hour) with the minute's refill slowed to an hour: on a
        // machine loaded enough that the guesses take minutes, a refill must not let them through.
        try await TestServer.with({ $0.limits.loginPerAccount = .init(buckets: [.init(5, per: .seconds(3600)), .init(20, per: .seconds(3600))]) }) { server in
            let admin = try await server.account("admin", role: .admin)
            _ = try await server.account("target", role: .operator)
            var statuses: [Int] = []
            var limited = try await server.post("/api/v1/auth/login", ["username": "target", "password": "guess"])
            // The account's budget is 5 (refilled over an hour here); the log-in of the fixture used one.
            // Guess until refused: the fifth guess is.
            for i in 0..<10 {
                limited = try await server.post("/api/v1/auth/login", ["username": "target", "password": "guess number \(i)"])
                statuses.append(limited.status)
                if limited.status == 429 { break }
            }
            #expect(statuses.last == 429, "\(statuses)")
            #expect(statuses.dropLast().allSatisfy { $0 == 401 } && statuses.count >= 4, "\(statuses)")
            #expect(limited.status == 429)
            #expect(Int(limited.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            #expect(limited.errorCode == "rate_limited")
            let alerts = try await server.get("/api/v1/security/alerts?rule=failed_logins", token: admin.token)
            let list = try #require(alerts["alerts"] as? [[String: Any]])
            let keys = Set(list.compactMap { ($0["attributes"] as? [String: Any])?["key"] as? String })
            #expect(keys.contains { $0.hasPrefix("account:") })
            #expect(keys.contains { $0.hasPrefix("address:") })
            // One alert per key, kept current rather than repeated.
            #expect(list.count == 2)
            #expect(list.allSatisfy { ($0["value"] as? Double ?? 0) >= 5 })
        }
    }

    @Test func hostileFiltersGetAClearAnswerNeverA500() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let hostile = ["' OR 1=1 --", "\"; DROP TABLE users; --", "%_\\", String(repeating: "A", count: 10_000), "\u{0}", "1e309",
                           "-1", "99999999999999999999", "😀", "../../etc/passwd"]
            let endpoints = ["/api/v1/users": ["q", "role", "status", "tenant_id", "limit", "offset"],
                             "/api/v1/cameras": ["q", "tenant_id", "limit", "offset"],
                             "/api/v1/tenants": ["limit", "offset"],
                             "/api/v1/activity": ["user_id", "action", "outcome", "from", "to", "before", "limit"],
                             "/api/v1/activity/summary": ["user_id", "action", "from", "to"],
                             "/api/v1/security/alerts": ["rule", "from", "to", "limit"]]
            for (path, parameters) in endpoints {
                for parameter in parameters {
                    for value in hostile {
                        let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                        let reply = try await server.get("\(path)?\(parameter)=\(encoded)", token: admin.token)
                        #expect(reply.status == 200 || reply.status == 400, "\(path)?\(parameter)=\(value.prefix(20)): \(reply.status) \(reply.body.prefix(200))")
                        if reply.status == 200 { #expect(!reply.body.contains("password_hash")) }
                        #expect(!reply.body.lowercased().contains("sqlstate") && !reply.body.contains("syntax"))
                    }
                }
            }
            for id in ["1%27%20OR%201%3D1", "0", "-5", "99999999999", "abc"] {
                #expect(try await server.get("/api/v1/cameras/\(id)", token: admin.token).status == 404)
                #expect(try await server.get("/api/v1/users/\(id)", token: admin.token).status == 404)
            }
            // Hostile bodies: wrong types, unknown roles, NUL bytes, huge names.
            let bodies: [Any] = [["username": 5], ["username": "' OR 1=1", "email": "x", "password": "y", "role": "god"],
                                 ["username": "ok-name", "email": "a@b.co", "password": String(repeating: "p", count: 1025), "role": "viewer"],
                                 ["username": "nul\u{0}name", "email": "n@b.co", "password": "long enough pass", "role": "viewer"], [1, 2, 3]]
            for body in bodies {
                let reply = try await server.request(.POST, "/api/v1/users", token: admin.token, json: body)
                #expect([400, 422].contains(reply.status), "\(body): \(reply.status) \(reply.body)")
            }
            let notJSON = try await server.request(.POST, "/api/v1/cameras", token: admin.token, body: "{not json",
                                                   headers: [("Content-Type", "application/json")])
            #expect(notJSON.status == 400)
            #expect(notJSON.errorCode == "invalid_body")
            #expect(try await server.strings("SELECT count(*) FROM users") == ["1"])
        }
    }

    @Test func anOversizedBodyGets413() async throws {
        try await TestServer.with({ $0.maxBodyBytes = 64 * 1024 }) { server in
            let admin = try await server.account("admin", role: .admin)
            let big = String(repeating: "x", count: 100 * 1024)
            let reply = try await server.request(.POST, "/api/v1/activity", token: admin.token, body: #"{"action":"a","target":"\#(big)"}"#,
                                                 headers: [("Content-Type", "application/json")])
            #expect(reply.status == 413)
            #expect(reply.errorCode == "body_too_large")
        }
    }

    @Test func errorsAreJSONWithTheRequestIDAndResponsesCarrySecurityHeaders() async throws {
        try await TestServer.with({ $0.allowedOrigins = ["https://dashboard.example"] }) { server in
            let missing = try await server.get("/api/v1/nothing-here")
            #expect(missing.status == 404)
            let error = try #require(missing.json?["error"] as? [String: Any])
            #expect(error["code"] as? String == "not_found")
            #expect(error["request_id"] as? String == missing.headers.first(name: "X-Request-Id"))
            #expect(missing.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            for reply in [missing, try await server.get("/health")] {
                #expect(reply.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(reply.headers.first(name: "X-Frame-Options") == "DENY")
                #expect(reply.headers.first(name: "Content-Security-Policy")?.contains("default-src") == true)
            }
            // CORS: the listed origin gets its preflight answered, another origin gets no CORS headers.
            let preflight = try await server.request(.OPTIONS, "/api/v1/cameras", headers: [("Origin", "https://dashboard.example"),
                                                                                          ("Access-Control-Request-Method", "GET")])
            #expect(preflight.status == 204)
            #expect(preflight.headers.first(name: "Access-Control-Allow-Origin") == "https://dashboard.example")
            let other = try await server.request(.GET, "/health", headers: [("Origin", "https://evil.example")])
            #expect(other.headers.first(name: "Access-Control-Allow-Origin") == nil)
        }
    }
}
