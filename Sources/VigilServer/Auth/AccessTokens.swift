public import Foundation
import JWTKit

/// Claims of an access token: `sub` (user id), `role`, `tenant`, `iat`, `exp`, `jti`, and `sid`, the
/// refresh-token family it was issued with (logging out revokes the family, and with it the token).
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var role: String
    var tenant: Int
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var sid: String

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Signs and verifies access tokens: JWT HS256 with the server's secret. jwt-kit refuses tokens whose
/// header names another algorithm (`none` included), a tampered payload and a foreign signature.
public final class AccessTokens: Sendable {
    private let keys: JWTKeyCollection
    let lifetime: TimeInterval

    public init(secret: [UInt8], lifetime: TimeInterval) async {
        precondition(secret.count >= 32, "the JWT secret must have at least 32 bytes")
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
        self.lifetime = lifetime
    }

    struct Issued {
        var token: String
        var claims: AccessClaims
    }

    func issue(userID: UUID, role: Role, tenantID: Int, sessionID: UUID, now: Date = Date()) async throws -> Issued {
        // Whole seconds: `iat` is compared with stored times that are whole seconds too.
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessClaims(sub: .init(value: userID.uuidString), role: role.rawValue, tenant: tenantID,
                                  iat: .init(value: issuedAt), exp: .init(value: issuedAt.addingTimeInterval(lifetime)),
                                  jti: .init(value: UUID().uuidString), sid: sessionID.uuidString)
        return Issued(token: try await keys.sign(claims), claims: claims)
    }

    /// The token's claims, or nil when it is not one of ours, was altered, or has expired.
    func verify(_ token: String) async -> AccessClaims? {
        try? await keys.verify(token, as: AccessClaims.self)
    }
}
