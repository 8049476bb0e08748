import Foundation
import Hummingbird
import HTTPTypes

/// `/api/v1/auth`: sign-up with an e-mailed one-time code, log-in (JSON or the OAuth2 password form),
/// refresh-token rotation, logout, the caller's profile and password change.
struct AuthController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("register", use: register)
        group.post("verify-otp", use: verifyCode)
        group.post("resend-otp", use: resendCode)
        group.post("login", use: login)
        group.post("refresh", use: refresh)
        group.post("logout", use: logout)
        group.get("me", use: me)
        group.post("change-password", use: changePassword)
    }

    // MARK: Types

    struct RegisterRequest: Decodable {
        var username: String
        var email: String
        var password: String
        var firstName: String?
        var lastName: String?
    }

    struct RegisterResponse: ResponseEncodable {
        var user: User
        var message: String
    }

    struct CodeRequest: Decodable {
        var email: String
        var code: String
    }

    struct ResendRequest: Decodable { var email: String }

    struct LoginRequest: Decodable {
        var username: String
        var password: String
    }

    struct TokenResponse: ResponseEncodable {
        var accessToken: String
        var tokenType = "bearer"
        var expiresIn: Int
        /// Absent for the web app, which gets it as an `HttpOnly` cookie instead (``RefreshCookie``).
        var refreshToken: String?
        var user: User
    }

    struct RefreshRequest: Decodable { var refreshToken: String }

    struct ChangePasswordRequest: Decodable {
        var currentPassword: String
        var newPassword: String
    }

    struct MessageResponse: ResponseEncodable { var message: String }

    // MARK: Sign-up

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<RegisterResponse> {
        try RateLimits.enforce(services.limits.registerPerAddress, context.clientAddress, "sign-ups from this address")
        let body = try await request.json(RegisterRequest.self, context: context)
        try Validate.username(body.username)
        try Validate.email(body.email)
        if let problem = Passwords.problem(with: body.password) { throw APIError.unprocessable(problem) }
        let hash = try await services.passwords.hash(body.password)
        let user: User
        do {
            user = try await services.users.create(tenantID: services.configuration.registrationTenantID, username: body.username,
                                                   email: body.email, passwordHash: hash, firstName: try Validate.name(body.firstName ?? ""),
                                                   lastName: try Validate.name(body.lastName ?? ""), role: .user, status: .inactive)
        } catch let error as APIError {
            await services.record("auth.register", .failure, context: context, target: body.username, details: ["reason": .string(error.code)])
            throw error
        }
        await services.record("auth.register", .success, context: context, user: user, target: user.id.uuidString)
        try await sendCode(to: user)
        return .init(status: .created, response: .init(user: user, message: "a six-digit code was sent to \(user.email); it expires in 5 minutes"))
    }

    private func sendCode(to user: User) async throws {
        switch try await services.codes.issue(userID: user.id, purpose: "activate") {
        case .issued(let code):
            try await services.mailer.send(Mail(from: services.configuration.mailFrom, to: user.email, subject: "Your Vigil code: \(code)",
                                                body: "Hello \(user.username),\n\nyour code to activate your Vigil account is \(code).\n"
                                                    + "It expires in 5 minutes.\n"))
        case .tooSoon(let wait):
            throw APIError.tooManyRequests(retryAfterSeconds: wait, "a code was sent less than a minute ago; retry in \(wait) s")
        }
    }

    @Sendable func verifyCode(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let body = try await request.json(CodeRequest.self, context: context)
        guard let (user, _) = try await services.users.unscopedForLogin(body.email), user.status == .inactive else {
            throw APIError.badRequest("no account waiting for activation with this e-mail", code: "invalid_code")
        }
        try RateLimits.enforce(services.limits.codePerAccount, user.id.uuidString, "code attempts")
        switch try await services.codes.check(body.code, userID: user.id, purpose: "activate") {
        case .valid:
            _ = try await services.users.update(user.id, .init(status: .active), scope: .system)
            await services.record("auth.verify_otp", .success, context: context, user: user, target: user.id.uuidString)
            return .init(message: "the account is active; log in")
        case .wrong(let remaining):
            await services.record("auth.verify_otp", .failure, context: context, user: user, target: user.id.uuidString)
            throw APIError.badRequest("wrong code; \(remaining) attempts left", code: "invalid_code")
        case .expired:
            await services.record("auth.verify_otp", .failure, context: context, user: user, target: user.id.uuidString)
            throw APIError.badRequest("the code has expired; ask for a new one", code: "code_expired")
        case .exhausted:
            await services.record("auth.verify_otp", .failure, context: context, user: user, target: user.id.uuidString)
            throw APIError.badRequest("too many wrong codes; ask for a new one", code: "code_exhausted")
        case .none:
            throw APIError.badRequest("no code is pending; ask for a new one", code: "invalid_code")
        }
    }

    @Sendable func resendCode(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let body = try await request.json(ResendRequest.self, context: context)
        try RateLimits.enforce(services.limits.registerPerAddress, context.clientAddress, "requests from this address")
        // Same answer whether or not the account exists or waits for activation: no account discovery.
        if let (user, _) = try await services.users.unscopedForLogin(body.email), user.status == .inactive {
            try await sendCode(to: user)
            await services.record("auth.resend_otp", .success, context: context, user: user, target: user.id.uuidString)
        }
        return .init(message: "if an account waits for activation with this e-mail, a new code was sent")
    }

    // MARK: Log-in and tokens

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TokenResponse> {
        var request = request
        let body = try await Self.loginBody(&request, context: context)
        let address = context.clientAddress
        let account = try await services.users.unscopedForLogin(body.username)
        do {
            try RateLimits.enforce(services.limits.loginPerAddress, address, "log-in attempts from this address")
            try RateLimits.enforce(services.limits.loginPerAccount, account?.0.id.uuidString ?? "name:" + body.username.lowercased(),
                                   "log-in attempts for this account")
        } catch {
            await services.record("auth.login", .failure, context: context, user: account?.0, target: body.username,
                                  details: ["reason": "rate_limited"])
            throw error
        }
        let ok = try await services.passwords.verify(body.password, hash: account?.passwordHash)
        guard ok, let user = account?.0 else {
            await services.record("auth.login", .failure, context: context, user: account?.0, target: body.username,
                                  details: ["reason": "bad_credentials"])
            throw APIError.unauthorized("wrong username or password", code: "invalid_credentials")
        }
        guard user.status == .active else {
            await services.record("auth.login", .failure, context: context, user: user, target: body.username,
                                  details: ["reason": .string("account_\(user.status.rawValue)")])
            throw APIError.forbidden(user.status == .inactive ? "the account is not activated yet: enter the code sent by e-mail"
                                                               : "the account is \(user.status.rawValue)", code: "account_\(user.status.rawValue)")
        }
        let (session, refreshToken) = try await services.sessions.start(userID: user.id, address: address,
                                                                       lifetime: services.configuration.refreshTokenLifetime)
        let issued = try await services.tokens.issue(userID: user.id, role: user.role, tenantID: user.tenantId, sessionID: session)
        await services.record("auth.login", .success, context: context, user: user, target: user.id.uuidString,
                              details: ["session": .string(session.uuidString)])
        return tokens(issued.token, refreshToken: refreshToken, user: user, for: request)
    }

    /// The token answer: the refresh token in the body, or for the web app (``RefreshCookie/header``) in
    /// an `HttpOnly` cookie that its scripts never see.
    private func tokens(_ access: String, refreshToken: String, user: User, for request: Request) -> EditedResponse<TokenResponse> {
        let lifetime = Int(services.configuration.accessTokenLifetime)
        guard RefreshCookie.isWebClient(request) else {
            return .init(response: TokenResponse(accessToken: access, expiresIn: lifetime, refreshToken: refreshToken, user: user))
        }
        let cookie = RefreshCookie.set(refreshToken, maxAge: Int(services.configuration.refreshTokenLifetime),
                                       secure: services.configuration.tlsCertificatePath != nil)
        return .init(headers: [.setCookie: cookie], response: TokenResponse(accessToken: access, expiresIn: lifetime, refreshToken: nil, user: user))
    }

    /// JSON `{username, password}`, or the OAuth2 password grant form (`grant_type=password&username=...&password=...`).
    static func loginBody(_ request: inout Request, context: AppRequestContext) async throws -> LoginRequest {
        let type = request.headers[.contentType] ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else { return try await request.json(LoginRequest.self, context: context) }
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        let form = FormFields(String(buffer: buffer))
        if let grant = form["grant_type"], grant != "password" {
            throw APIError.badRequest("unsupported grant_type \(grant); this endpoint takes 'password'", code: "unsupported_grant_type")
        }
        guard let username = form["username"], let password = form["password"] else {
            throw APIError.badRequest("the form needs username and password fields", code: "invalid_request")
        }
        return LoginRequest(username: username, password: password)
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TokenResponse> {
        let presented: String
        if RefreshCookie.isWebClient(request) {
            guard let cookie = RefreshCookie.value(in: request) else {
                throw APIError.unauthorized("no session cookie; log in", code: "invalid_token")
            }
            presented = cookie
        } else {
            presented = try await request.json(RefreshRequest.self, context: context).refreshToken
        }
        switch try await services.sessions.rotate(presented, lifetime: services.configuration.refreshTokenLifetime) {
        case .invalid:
            await services.record("auth.refresh", .failure, context: context, details: ["reason": "invalid_token"])
            throw APIError.unauthorized("invalid or expired refresh token", code: "invalid_token")
        case .reused(let userID, let session):
            services.standingCache.forget(session: session)
            let user = try await services.users.unscopedByID(userID)
            await services.record("auth.refresh_reuse", .denied, context: context, user: user, target: session.uuidString)
            throw APIError.unauthorized("this refresh token was already used; the session is revoked, log in again", code: "token_reused")
        case .rotated(let userID, let session, let refreshToken):
            guard let user = try await services.users.unscopedByID(userID), user.status == .active else {
                try await services.sessions.revoke(session, userID: userID, reason: "account not active")
                throw APIError.unauthorized("the account is not active", code: "account_inactive")
            }
            services.standingCache.forget(session: session)
            let issued = try await services.tokens.issue(userID: user.id, role: user.role, tenantID: user.tenantId, sessionID: session)
            await services.record("auth.refresh", .success, context: context, user: user, target: session.uuidString)
            return tokens(issued.token, refreshToken: refreshToken, user: user, for: request)
        }
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        try await services.sessions.revoke(caller.sessionID, userID: caller.userID, reason: "logout")
        services.standingCache.forget(session: caller.sessionID)
        await services.record("auth.logout", .success, context: context, target: caller.sessionID.uuidString)
        var headers: HTTPFields = [:]
        if RefreshCookie.isWebClient(request) { headers[.setCookie] = RefreshCookie.clear(secure: services.configuration.tlsCertificatePath != nil) }
        return Response(status: .noContent, headers: headers)
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> User {
        let caller = try context.caller()
        guard let user = try await services.users.get(caller.userID, scope: caller.scope) else { throw APIError.notFound("user") }
        return user
    }

    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let caller = try context.caller()
        let body = try await request.json(ChangePasswordRequest.self, context: context)
        try RateLimits.enforce(services.limits.loginPerAccount, "password:" + caller.userID.uuidString, "password attempts for this account")
        let current = try await services.users.passwordHash(caller.userID, scope: caller.scope)
        guard try await services.passwords.verify(body.currentPassword, hash: current) else {
            await services.record("auth.change_password", .failure, context: context, target: caller.userID.uuidString)
            throw APIError.forbidden("the current password is wrong", code: "invalid_credentials")
        }
        if let problem = Passwords.problem(with: body.newPassword) { throw APIError.unprocessable(problem) }
        let hash = try await services.passwords.hash(body.newPassword)
        _ = try await services.users.update(caller.userID, .init(passwordHash: hash), scope: caller.scope)
        for session in try await services.sessions.revokeAll(userID: caller.userID, reason: "password changed") {
            services.standingCache.forget(session: session)
        }
        await services.record("auth.change_password", .success, context: context, target: caller.userID.uuidString)
        return .init(message: "password changed; every session was ended, log in again")
    }
}

/// `application/x-www-form-urlencoded` fields.
struct FormFields {
    private var values: [String: String] = [:]
    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let key = parts.first, values[key] == nil { values[key] = parts.count > 1 ? parts[1] : "" }
        }
    }
    subscript(_ key: String) -> String? { values[key] }
}
