import Foundation
public import Hummingbird
import HummingbirdAuth
import JWTKit

/// Sets the request's ``Caller`` from `Authorization: Bearer <jwt>` when the token verifies (HS256, our
/// secret, not expired), its user is active, its role and tenant are still the user's, and its session has
/// not been revoked. A request without a token goes on unauthenticated (routes that need a caller say so);
/// a request with a bad token is refused with 401 at once.
struct AccessTokenAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: AccessTokens
    let sessions: SessionRepository
    let cache: SessionStandingCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = request.headers.bearer?.token else {
            if request.headers[.authorization] != nil { throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'") }
            return try await next(request, context)
        }
        var context = context
        context.identity = try await caller(for: token)
        return try await next(request, context)
    }

    /// The caller a token stands for, or 401 with the reason.
    func caller(for token: String) async throws -> Caller {
        guard let claims = await tokens.verify(token), let user = UUID(uuidString: claims.sub.value),
              let session = UUID(uuidString: claims.sid), let role = Role(rawValue: claims.role) else {
            throw APIError.unauthorized("invalid or expired token", code: "invalid_token")
        }
        let standing: SessionRepository.Standing
        if let cached = cache.get(session: session) {
            standing = cached
        } else {
            guard let fresh = try await sessions.standing(userID: user, session: session) else {
                throw APIError.unauthorized("invalid or expired token", code: "invalid_token")
            }
            cache.put(fresh, session: session)
            standing = fresh
        }
        guard !standing.sessionRevoked else { throw APIError.unauthorized("the session has ended; log in again", code: "session_revoked") }
        guard standing.status == .active else { throw APIError.unauthorized("the account is \(standing.status.rawValue)", code: "account_\(standing.status.rawValue)") }
        guard standing.role == role, standing.tenantID == claims.tenant else {
            throw APIError.unauthorized("the account's role or tenant changed; refresh the token", code: "stale_token")
        }
        return Caller(userID: user, username: standing.username, role: role, tenantID: claims.tenant, tokenID: claims.jti.value, sessionID: session)
    }
}
