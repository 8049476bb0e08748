public import Hummingbird
import HTTPTypes

/// Headers every response carries: no MIME sniffing, no framing, no referrer, no caching of API answers, a
/// content-security policy that forbids everything but what the server's own pages use, and HSTS under TLS.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tls: Bool

    static let apiPolicy = "default-src 'none'; frame-ancestors 'none'"
    /// The API docs page (`/docs`, one self-contained file with its script and style inline).
    static let docsPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        + "script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"
    /// The dashboard: its own scripts and styles only (no inline script or style), images from itself or
    /// made by its scripts (`blob:` frames of the live previews), the API and WebSocket of this origin.
    static let pagePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let isPage = response.headers[.contentType]?.hasPrefix("text/html") == true
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.contentSecurityPolicy] = !isPage ? Self.apiPolicy : request.uri.path == "/docs" ? Self.docsPolicy : Self.pagePolicy
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if tls { response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
        return response
    }
}
