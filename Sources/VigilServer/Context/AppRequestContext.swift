public import Hummingbird
public import HummingbirdAuth
public import HummingbirdWebSocket
public import NIOCore
public import Foundation

/// Per-request state: Hummingbird's core storage, the authenticated caller (set by ``AccessTokenAuthenticator``),
/// the client's address (for rate limits and the audit log) and the WebSocket upgrade handle.
public struct AppRequestContext: AuthRequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Caller?
    public let webSocket: WebSocketHandlerReference<Self>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The body limit is enforced by ``BodyLimitMiddleware`` before any handler decodes.
    public var maxUploadSize: Int { Int.max }
    public var requestDecoder: JSONDecoder { APIJSON.decoder }
    public var responseEncoder: JSONEncoder { APIJSON.encoder }

    /// The client's IP address as text, for rate limits and the audit log.
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }

    /// The caller, or 401.
    func caller() throws -> Caller {
        guard let identity else { throw APIError.unauthorized("authentication required") }
        return identity
    }
}

/// The API's JSON: snake_case keys, ISO 8601 UTC times with milliseconds.
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(timeFormat))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "expected an ISO 8601 time, got \(text)"))
            }
            return date
        }
        return decoder
    }()

    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// An RFC 3339 time, with or without fractional seconds, any offset.
    static func parseTime(_ text: String) -> Date? {
        guard text.count <= 40 else { return nil }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return plain.date(from: text) ?? fractional.date(from: text)
    }
}
