import Foundation
public import Hummingbird
import HTTPTypes
import Logging

/// The one place errors become HTTP: every error is JSON `{"error": {"code", "message", "request_id"}}`.
/// ``APIError``s keep their status and text; Hummingbird's own errors (404 route, 405, 413, bad JSON) keep
/// their status with a plain message; anything else is logged with the request id and answered 500
/// "internal error" — never a stack trace, a SQL message or a file path.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, request: request, context: context)
        }
    }

    static func response(for error: any Error, request: Request, context: Context) -> Response {
        let requestID = context.id
        let (status, code, message, headers): (HTTPResponse.Status, String, String, HTTPFields)
        switch error {
        case let api as APIError:
            (status, code, message, headers) = (api.status, api.code, api.message, api.headers)
        case let http as HTTPError:
            let text = http.body ?? http.status.reasonPhrase
            (status, code, message, headers) = (http.status, Self.code(for: http.status), Self.plain(text), http.headers)
        case let http as any HTTPResponseError where http.status.code < 500:
            (status, code, message, headers) = (http.status, Self.code(for: http.status), http.status.reasonPhrase, [:])
        case let decoding as DecodingError:
            (status, code, message, headers) = (.badRequest, "invalid_body", Self.describe(decoding), [:])
        default:
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "request.id": "\(requestID)"])
            (status, code, message, headers) = (.internalServerError, "internal", "internal error (request \(requestID))", [:])
        }
        return json(status: status, code: code, message: message, requestID: requestID, headers: headers)
    }

    static func json(status: HTTPResponse.Status, code: String, message: String, requestID: String, headers: HTTPFields = [:]) -> Response {
        struct Body: Encodable { var error: Detail }
        struct Detail: Encodable { var code: String; var message: String; var requestId: String }
        let data = (try? APIJSON.encoder.encode(Body(error: .init(code: code, message: message, requestId: requestID)))) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "body_too_large"
        case 415: "unsupported_media_type"
        case 429: "rate_limited"
        default: status.code >= 500 ? "internal" : "error"
        }
    }

    /// Hummingbird's messages are safe, but keep them short and single-line.
    private static func plain(_ text: String) -> String {
        String(text.prefix(200)).replacingOccurrences(of: "\n", with: " ")
    }

    /// A decoding error in the client's terms: which field, what was wrong (no Swift type names).
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "body" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field \(parent == "body" ? "" : parent + ".")\(key.stringValue.snakeCased)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type for \(path(context).snakeCased)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "invalid value for \(path(context).snakeCased): \(context.debugDescription)"
        @unknown default:
            return "invalid body"
        }
    }
}

extension String {
    /// `firstName` -> `first_name`, as the API spells keys.
    var snakeCased: String {
        var out = ""
        for ch in self {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}
