public import Hummingbird
import HTTPTypes

/// CORS with an allow-list of origins: a listed origin gets `Access-Control-Allow-Origin` echoed (and its
/// preflight answered); any other origin gets no CORS headers, so browsers refuse it. Hummingbird's own
/// `CORSMiddleware` allows one origin or all of them, not a list.
struct CORSAllowListMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let origins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Authorization, Content-Type"
            response.headers[.accessControlMaxAge] = "600"
            add(origin, to: &response)
            return response
        }
        var response = try await next(request, context)
        add(origin, to: &response)
        return response
    }

    private func add(_ origin: String, to response: inout Response) {
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        response.headers[.accessControlExposeHeaders] = "X-Request-Id, Retry-After"
    }
}
