public import HTTPTypes

/// An error a handler means the client to see: a status, a stable machine-readable code and a message.
/// Everything else that escapes a handler becomes a 500 with a generic message (see ``ErrorMiddleware``).
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    static func badRequest(_ message: String, code: String = "bad_request") -> APIError { .init(.badRequest, code: code, message) }
    static func unauthorized(_ message: String, code: String = "unauthorized") -> APIError {
        .init(.unauthorized, code: code, message, headers: [.wwwAuthenticate: "Bearer"])
    }
    static func forbidden(_ message: String, code: String = "forbidden") -> APIError { .init(.forbidden, code: code, message) }
    static func notFound(_ what: String) -> APIError { .init(.notFound, code: "not_found", "\(what) not found") }
    static func conflict(_ message: String) -> APIError { .init(.conflict, code: "conflict", message) }
    static func tooManyRequests(retryAfterSeconds: Int, _ message: String) -> APIError {
        .init(.tooManyRequests, code: "rate_limited", message, headers: [.retryAfter: "\(max(1, retryAfterSeconds))"])
    }
    static func unprocessable(_ message: String) -> APIError { .init(.unprocessableContent, code: "invalid", message) }
}
