import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import VigilCore

/// One attempt of one delivery over the sink's shared `HTTPClient`: a signed POST of the event's JSON.
struct WebhookTransport: Sendable {
    let client: HTTPClient
    let url: String
    /// The secret's bytes (swift-crypto 3's `SymmetricKey` is not `Sendable`; one is made per attempt).
    let secret: [UInt8]
    /// How much of an error answer's body is kept for the dead letter.
    static let excerptBytes = 512

    /// Client settings: no redirects (a signed POST is not re-sent elsewhere), no automatic connection
    /// retries (the sink's state machine decides about retries), at most `concurrency` connections.
    static func configuration(timeout: Double, concurrency: Int) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .nanoseconds(Int64(timeout * 1e9)), read: .nanoseconds(Int64(timeout * 1e9)))
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        return configuration
    }

    /// Posts `delivery`; the outcome is never an error, except `CancellationError` when the task was
    /// cancelled.
    func attempt(_ delivery: Delivery, timeout: Double) async throws -> AttemptOutcome {
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "vigil-webhook")
        request.headers.add(name: WebhookSignature.timestampHeader, value: "\(timestamp)")
        request.headers.add(name: WebhookSignature.signatureHeader,
                            value: WebhookSignature.header(body: delivery.body.utf8, timestamp: timestamp, key: SymmetricKey(data: secret)))
        request.headers.add(name: "Idempotency-Key", value: delivery.key)
        request.headers.add(name: "X-Vigil-Delivery", value: delivery.key)
        request.headers.add(name: "X-Vigil-Attempt", value: "\(delivery.attempts)")
        request.headers.add(name: "X-Vigil-Event", value: DeliveryKey.headerSafe(delivery.event.kind))
        request.body = .bytes(ByteBuffer(string: delivery.body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(max(timeout, 0.001) * 1e9)))
            let status = Int(response.status.code)
            var excerpt = ""
            if !(200..<300).contains(status) {
                // Keep the start of an error answer; stop reading (and let the connection go) after that.
                for try await chunk in response.body {
                    excerpt += String(buffer: chunk)
                    if excerpt.utf8.count >= Self.excerptBytes { break }
                }
            } else {
                for try await _ in response.body {}
            }
            return .answered(status: status, retryAfter: retryAfter(response, status: status),
                             message: describe(status: response.status, excerpt: excerpt))
        } catch {
            try Task.checkCancellation()
            if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
                return .failed(message: "no answer within \(formatSeconds(timeout))")
            }
            return .failed(message: "cannot reach the receiver: \(error)")
        }
    }

    private func retryAfter(_ response: HTTPClientResponse, status: Int) -> Double? {
        guard status == 429 || status == 503, let value = response.headers.first(name: "Retry-After") else { return nil }
        return RetryAfter.seconds(value, now: Date())
    }

    private func describe(status: HTTPResponseStatus, excerpt: String) -> String {
        var text = "the receiver answered \(status.code) \(status.reasonPhrase)"
        let trimmed = excerpt.prefix(Self.excerptBytes).trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { text += ": " + trimmed.replacingOccurrences(of: "\n", with: " ") }
        return text
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
}
