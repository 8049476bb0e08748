import Foundation
import Hummingbird
import HTTPTypes

extension Request {
    /// The JSON body as `T`. A body that is not JSON, or not this shape, is a 400 `invalid_body` that names
    /// the field (the body limit was applied by ``BodyLimitMiddleware``).
    func json<T: Decodable>(_ type: T.Type, context: AppRequestContext) async throws -> T {
        var request = self
        let buffer = try await request.collectBody(upTo: .max)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("the request needs a JSON body", code: "invalid_body") }
        if let contentType = headers[.contentType], !contentType.hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", "send the body as application/json")
        }
        do {
            return try APIJSON.decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.badRequest(ErrorMiddleware.describe(error), code: "invalid_body")
        }
    }
}
