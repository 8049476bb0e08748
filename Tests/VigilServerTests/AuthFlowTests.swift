import Foundation
import NIOHTTP1
import Testing
import VigilServer
import VigilTesting

@Suite("Auth flow over HTTP") struct AuthFlowTests {
    /// Register → code from the outbox → verify → log in → me → refresh → logout, with AsyncHTTPClient.
    @Test func registerVerifyLoginRefreshLogout() async throws {
        try await TestServer.with { server in
            let register = try await server.post("/api/v1/auth/register",
                                                 ["username": "dana", "email": "Dana@Example.com", "password": "correct horse battery", "first_name": "Dana"])
            #expect(register.status == 201, "\(register.body)")
            #expect((register["user"] as? [String: Any])?["status"] as? String == "inactive")

            // Not active yet: no log-in.
            let early = try await server.post("/api/v1/auth/login", ["username": "dana", "password": "correct horse battery"])
            #expect(early.status == 403)
            #expect(early.errorCode == "account_inactive")

            let code = try #require(try await Self.outboxCode(server, to: "Dana@Example.com"))
            let wrong = try await server.post("/api/v1/auth/verify-otp", ["email": "dana@example.com", "code": code == "000000" ? "111111" : "000000"])
            #expect(wrong.status == 400)
            #expect((wrong.json?["error"] as? [String: Any])?["message"] as? String == "wrong code; 4 attempts left")
            let verify = try await server.post("/api/v1/auth/verify-otp", ["email": "dana@example.com", "code": code])
            #expect(verify.status == 200, "\(verify.body)")
            // A code works once.
            #expect(try await server.post("/api/v1/auth/verify-otp", ["email": "dana@example.com", "code": code]).status == 400)

            let login = try await server.post("/api/v1/auth/login", ["username": "dana@example.com", "password": "correct horse battery"])
            #expect(login.status == 200, "\(login.body)")
            #expect(login["token_type"] as? String == "bearer")
            #expect(login["expires_in"] as? Int == 900)
            let token = try #require(login["access_token"] as? String)
            let refresh = try #require(login["refresh_token"] as? String)

            let me = try await server.get("/api/v1/auth/me", token: token)
            #expect(me.status == 200)
            #expect(me["username"] as? String == "dana")
            #expect(me["role"] as? String == "user")
            #expect(me["first_name"] as? String == "Dana")
            #expect(!me.body.contains("password"))

            let rotated = try await server.post("/api/v1/auth/refresh", ["refresh_token": refresh])
            #expect(rotated.status == 200, "\(rotated.body)")
            let token2 = try #require(rotated["access_token"] as? String)
            let refresh2 = try #require(rotated["refresh_token"] as? String)
            #expect(refresh2 != refresh)
            #expect(try await server.get("/api/v1/auth/me", token: token2).status == 200)

            let logout = try await server.request(.POST, "/api/v1/auth/logout", token: token2)
            #expect(logout.status == 204)
            // Logout ends the session: its access tokens and its refresh token stop working.
            #expect(try await server.get("/api/v1/auth/me", token: token2).errorCode == "session_revoked")
            #expect(try await server.get("/api/v1/auth/me", token: token).errorCode == "session_revoked")
            #expect(try await server.post("/api/v1/auth/refresh", ["refresh_token": refresh2]).status == 401)

            // The audit log has each step.
            let actions = try await server.strings("SELECT action || ':' || outcome FROM activity_logs ORDER BY id")
            #expect(actions == ["auth.register:success", "auth.login:failure", "auth.verify_otp:failure", "auth.verify_otp:success",
                                "auth.login:success", "auth.refresh:success", "auth.logout:success", "auth.refresh:failure"])
        }
    }

    /// The same flow with curl, the OAuth2 password form included.
    @Test func theFlowWithCurlAndTheOAuth2PasswordForm() async throws {
        try await TestServer.with { server in
            // Awaited, not waited for: a blocked thread of the two-thread cooperative pool starves other tests.
            func curl(_ args: [String]) async throws -> (status: Int, body: [String: Any]) {
                let result = try await ChildProcess(["curl", "-s", "-w", "\n%{http_code}"] + args).exited(timeout: 120)
                let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
                let status = Int(lines.last ?? "") ?? 0
                let body = lines.dropLast().joined(separator: "\n")
                return (status, (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:])
            }
            let register = try await curl(["-X", "POST", "-H", "Content-Type: application/json", "--data",
                                     #"{"username":"erin","email":"erin@example.com","password":"another good password"}"#,
                                     server.base + "/api/v1/auth/register"])
            #expect(register.status == 201)
            let code = try #require(try await Self.outboxCode(server, to: "erin@example.com"))
            #expect(try await curl(["-X", "POST", "-H", "Content-Type: application/json", "--data", #"{"email":"erin@example.com","code":"\#(code)"}"#,
                              server.base + "/api/v1/auth/verify-otp"]).status == 200)
            let login = try await curl(["-X", "POST", "--data-urlencode", "grant_type=password", "--data-urlencode", "username=erin",
                                  "--data-urlencode", "password=another good password", server.base + "/api/v1/auth/login"])
            #expect(login.status == 200)
            let token = try #require(login.body["access_token"] as? String)
            let me = try await curl(["-H", "Authorization: Bearer \(token)", server.base + "/api/v1/auth/me"])
            #expect(me.status == 200)
            #expect(me.body["username"] as? String == "erin")
            let refresh = try #require(login.body["refresh_token"] as? String)
            let rotated = try await curl(["-X", "POST", "-H", "Content-Type: application/json", "--data", #"{"refresh_token":"\#(refresh)"}"#,
                                    server.base + "/api/v1/auth/refresh"])
            #expect(rotated.status == 200)
            let token2 = try #require(rotated.body["access_token"] as? String)
            #expect(try await curl(["-X", "POST", "-H", "Authorization: Bearer \(token2)", server.base + "/api/v1/auth/logout"]).status == 204)
            #expect(try await curl(["-H", "Authorization: Bearer \(token2)", server.base + "/api/v1/auth/me"]).status == 401)
        }
    }

    /// Codes: re-sent at most once a minute; five wrong attempts use the code up.
    /// The web app's mode: the refresh token only ever travels in an HttpOnly cookie its scripts cannot read.
    @Test func theWebAppKeepsItsRefreshTokenInAnHttpOnlyCookie() async throws {
        try await TestServer.with { server in
            let account = try await server.account("webber", role: .operator)
            let web = [("X-Vigil-Client", "web")]
            let login = try await server.request(.POST, "/api/v1/auth/login", json: ["username": account.username, "password": account.password], headers: web)
            #expect(login.status == 200 && login["access_token"] is String && login["refresh_token"] == nil, "\(login.body)")
            let cookie = try #require(login.headers.first(name: "Set-Cookie"))
            for part in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth", "Max-Age="] { #expect(cookie.contains(part), "\(cookie)") }
            #expect(!cookie.contains("Secure"))   // no TLS here
            let token = try #require(cookie.split(separator: ";").first.map(String.init))
            // Refresh presents the cookie and gets a new one; the old one is spent (reuse revokes the session).
            let refreshed = try await server.request(.POST, "/api/v1/auth/refresh", headers: web + [("Cookie", token)])
            #expect(refreshed.status == 200 && refreshed["refresh_token"] == nil, "\(refreshed.body)")
            let next = try #require(refreshed.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init))
            #expect(next != token)
            #expect(try await server.request(.POST, "/api/v1/auth/refresh", headers: web).status == 401)
            let access = try #require(refreshed["access_token"] as? String)
            let logout = try await server.request(.POST, "/api/v1/auth/logout", token: access, headers: web)
            #expect(logout.status == 204 && logout.headers.first(name: "Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(try await server.request(.POST, "/api/v1/auth/refresh", headers: web + [("Cookie", next)]).status == 401)
            // Without the header the body carries the token, as before.
            let api = try await server.post("/api/v1/auth/login", ["username": account.username, "password": account.password])
            #expect(api["refresh_token"] is String && api.headers.first(name: "Set-Cookie") == nil)
        }
    }

    @Test func codesAreLimitedInResendsAndAttempts() async throws {
        try await TestServer.with { server in
            #expect(try await server.post("/api/v1/auth/register", ["username": "fay", "email": "fay@example.com", "password": "fay's password 123"]).status == 201)
            let resend = try await server.post("/api/v1/auth/resend-otp", ["email": "fay@example.com"])
            #expect(resend.status == 429)
            #expect(Int(resend.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
            let code = try #require(try await Self.outboxCode(server, to: "fay@example.com"))
            let wrong = code == "999999" ? "999998" : "999999"
            for _ in 0..<4 { #expect(try await server.post("/api/v1/auth/verify-otp", ["email": "fay@example.com", "code": wrong]).status == 400) }
            let fifth = try await server.post("/api/v1/auth/verify-otp", ["email": "fay@example.com", "code": wrong])
            #expect(fifth.errorCode == "code_exhausted")
            // Even the right code no longer works.
            #expect(try await server.post("/api/v1/auth/verify-otp", ["email": "fay@example.com", "code": code]).errorCode == "code_exhausted")
            // The stored code is a hash, never the code itself.
            let stored = try await server.strings("SELECT code_hash FROM one_time_codes")
            #expect(stored.count == 1 && !stored[0].contains(code) && stored[0].count == 64)
        }
    }

    /// Changing the password ends every session and the old password stops working.
    @Test func passwordChangeRevokesEverySession() async throws {
        try await TestServer.with({ $0.bcryptCost = 12 }) { server in
            let gus = try await server.account("gus", role: .viewer)
            let second = try await server.post("/api/v1/auth/login", ["username": "gus", "password": gus.password])
            let token2 = try #require(second["access_token"] as? String)
            let bad = try await server.post("/api/v1/auth/change-password", token: gus.token, ["current_password": "nope nope nope", "new_password": "a brand new password"])
            #expect(bad.status == 403)
            let change = try await server.post("/api/v1/auth/change-password", token: gus.token,
                                               ["current_password": gus.password, "new_password": "a brand new password"])
            #expect(change.status == 200, "\(change.body)")
            #expect(try await server.get("/api/v1/auth/me", token: gus.token).status == 401)
            #expect(try await server.get("/api/v1/auth/me", token: token2).status == 401)
            #expect(try await server.post("/api/v1/auth/refresh", ["refresh_token": gus.refreshToken]).status == 401)
            #expect(try await server.post("/api/v1/auth/login", ["username": "gus", "password": gus.password]).status == 401)
            #expect(try await server.post("/api/v1/auth/login", ["username": "gus", "password": "a brand new password"]).status == 200)
            // bcrypt at cost 12.
            #expect(try await server.strings("SELECT password_hash FROM users WHERE username = 'gus'").first?.hasPrefix("$2b$12$") == true)
        }
    }

    static func outboxCode(_ server: TestServer, to address: String) async throws -> String? {
        let messages = try await OutboxRepository(database: server.database).latest(recipient: address, limit: 1)
        guard let body = messages.first?.body, let range = body.range(of: #"\b\d{6}\b"#, options: .regularExpression) else { return nil }
        return String(body[range])
    }
}
