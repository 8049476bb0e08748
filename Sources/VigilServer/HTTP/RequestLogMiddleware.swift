import Foundation
public import Hummingbird
import HTTPTypes
import Logging

/// Logs each request once it is answered (method, path without query, status, duration, request id) and
/// returns the request id to the client as `X-Request-Id`, the id every error body and audit row carries.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let requestIDField = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ErrorMiddleware.response(for: error, request: request, context: context)
        }
        response.headers[Self.requestIDField] = context.id
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.log(level: response.status.code >= 500 ? .error : .info, "request", metadata: [
            "http.method": "\(request.method)", "http.path": "\(request.uri.path)", "http.status": "\(response.status.code)",
            "duration_ms": "\(String(format: "%.1f", ms))", "client.address": "\(context.clientAddress)",
        ])
        return response
    }
}
