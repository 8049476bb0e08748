import Foundation
import JWTKit
import NIOHTTP1
import Testing
import VigilServer

/// Each attack on tokens is a test that sends the forged request and checks the exact answer.
@Suite("Token attacks") struct TokenSecurityTests {
    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ part: Substring) -> [String: Any] {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return (try? JSONSerialization.jsonObject(with: Data(base64Encoded: text) ?? Data())) as? [String: Any] ?? [:]
    }

    static func encode(_ object: [String: Any]) throws -> String { base64url(try JSONSerialization.data(withJSONObject: object)) }

    @Test func tokensCarryTheDocumentedClaims() async throws {
        try await TestServer.with { server in
            let viewer = try await server.account("vera", role: .viewer)
            let parts = viewer.token.split(separator: ".")
            #expect(parts.count == 3)
            #expect(Self.decode(parts[0])["alg"] as? String == "HS256")
            let claims = Self.decode(parts[1])
            #expect(Set(claims.keys) == ["sub", "role", "tenant", "iat", "exp", "jti", "sid"])
            #expect((claims["sub"] as? String)?.lowercased() == viewer.id.lowercased())
            #expect(claims["role"] as? String == "viewer")
            #expect(claims["tenant"] as? Int == 1)
            let iat = try #require(claims["iat"] as? Double), exp = try #require(claims["exp"] as? Double)
            #expect(exp - iat == 900)
        }
    }

    @Test func algNoneIsRefused() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("root", role: .admin)
            let parts = admin.token.split(separator: ".")
            let forged = try Self.encode(["alg": "none", "typ": "JWT"]) + "." + parts[1] + "."
            let reply = try await server.get("/api/v1/users", token: forged)
            #expect(reply.status == 401)
            #expect(reply.errorCode == "invalid_token")
            #expect(!reply.body.contains("root"))
        }
    }

    @Test func aTamperedPayloadIsRefused() async throws {
        try await TestServer.with { server in
            let viewer = try await server.account("vic", role: .viewer)
            let parts = viewer.token.split(separator: ".")
            var claims = Self.decode(parts[1])
            claims["role"] = "admin"
            let forged = parts[0] + "." + (try Self.encode(claims)) + "." + parts[2]
            let reply = try await server.get("/api/v1/users", token: String(forged))
            #expect(reply.status == 401)
            #expect(reply.errorCode == "invalid_token")
        }
    }

    @Test func aTokenSignedWithAnotherSecretIsRefused() async throws {
        try await TestServer.with { server in
            let viewer = try await server.account("val", role: .viewer)
            let claims = Self.decode(viewer.token.split(separator: ".")[1])
            let keys = JWTKeyCollection()
            await keys.add(hmac: HMACKey(from: "another secret that is long enough, truly"), digestAlgorithm: .sha256)
            struct Claims: JWTPayload {
                var sub: SubjectClaim, role: String, tenant: Int, iat: IssuedAtClaim, exp: ExpirationClaim, jti: IDClaim, sid: String
                func verify(using algorithm: some JWTAlgorithm) async throws {}
            }
            let forged = try await keys.sign(Claims(sub: .init(value: claims["sub"] as! String), role: "admin", tenant: 1,
                                                    iat: .init(value: Date()), exp: .init(value: Date().addingTimeInterval(600)),
                                                    jti: .init(value: "x"), sid: claims["sid"] as! String))
            let reply = try await server.get("/api/v1/users", token: forged)
            #expect(reply.status == 401)
            #expect(reply.errorCode == "invalid_token")
        }
    }

    @Test func anExpiredTokenIsRefused() async throws {
        try await TestServer.with({ $0.accessTokenLifetime = 1 }) { server in
            let viewer = try await server.account("vince", role: .viewer)
            // exp is one whole second after iat; wait until it has passed. (Whether a token works while
            // valid is tokensCarryTheDocumentedClaims' and every other test's business: on a loaded machine
            // one second is too short to check it here.)
            let claims = Self.decode(viewer.token.split(separator: ".")[1])
            #expect((claims["exp"] as? Double ?? 0) - (claims["iat"] as? Double ?? 0) == 1)
            try await Task.sleep(for: .seconds(2.2))
            let reply = try await server.get("/api/v1/auth/me", token: viewer.token)
            #expect(reply.status == 401)
            #expect(reply.errorCode == "invalid_token")
        }
    }

    @Test func aDeactivatedUsersTokenIsRefused() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("ada", role: .admin)
            let viewer = try await server.account("ned", role: .viewer)
            #expect(try await server.get("/api/v1/auth/me", token: viewer.token).status == 200)
            let off = try await server.request(.POST, "/api/v1/users/\(viewer.id)/deactivate", token: admin.token)
            #expect(off.status == 200, "\(off.body)")
            #expect(off["status"] as? String == "deactivated")
            let reply = try await server.get("/api/v1/auth/me", token: viewer.token)
            #expect(reply.status == 401)
            #expect(try await server.post("/api/v1/auth/refresh", ["refresh_token": viewer.refreshToken]).status == 401)
            let login = try await server.post("/api/v1/auth/login", ["username": "ned", "password": viewer.password])
            #expect(login.status == 403)
            #expect(login.errorCode == "account_deactivated")
        }
    }

    @Test func reusingARotatedRefreshTokenRevokesTheFamilyAndRaisesAnAlert() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("sam", role: .admin)
            let user = try await server.account("uma", role: .operator)
            let first = try await server.post("/api/v1/auth/refresh", ["refresh_token": user.refreshToken])
            #expect(first.status == 200)
            let next = try #require(first["refresh_token"] as? String)
            let token = try #require(first["access_token"] as? String)
            // An attacker replays the old token.
            let replay = try await server.post("/api/v1/auth/refresh", ["refresh_token": user.refreshToken])
            #expect(replay.status == 401)
            #expect(replay.errorCode == "token_reused")
            // The whole family is gone: the legitimate successor and its access token too.
            #expect(try await server.post("/api/v1/auth/refresh", ["refresh_token": next]).status == 401)
            #expect(try await server.get("/api/v1/auth/me", token: token).errorCode == "session_revoked")
            // The administrator sees a critical security alert.
            let alerts = try await server.get("/api/v1/security/alerts", token: admin.token)
            let list = try #require(alerts["alerts"] as? [[String: Any]])
            let reuse = list.filter { $0["rule"] as? String == "refresh_token_reuse" }
            #expect(reuse.count == 1)
            #expect(reuse.first?["severity"] as? String == "critical")
            #expect(((reuse.first?["attributes"] as? [String: Any])?["username"] as? String) == "uma")
            // Stored as an event with the alert lifecycle columns.
            #expect(try await server.strings("SELECT kind || '/' || phase || '/' || (camera_id IS NULL) FROM events") == ["security/start/true"])
            // Stored tokens are hashes.
            #expect(try await server.strings("SELECT count(*) FROM refresh_tokens WHERE token_hash = '\(user.refreshToken)'") == ["0"])
        }
    }

    @Test func aMalformedAuthorizationHeaderIsRefused() async throws {
        try await TestServer.with { server in
            let reply = try await server.request(.GET, "/api/v1/cameras", headers: [("Authorization", "Basic YWRtaW46YWRtaW4=")])
            #expect(reply.status == 401)
            let garbage = try await server.get("/api/v1/cameras", token: "not.a.jwt")
            #expect(garbage.status == 401)
            #expect(garbage.errorCode == "invalid_token")
        }
    }
}
