import Crypto
import Foundation
import Testing
import VigilCore
import VigilPipeline
import VigilTesting

/// Real deliveries over loopback: the `webhook` sink in a pipeline, posting to an HTTP receiver that the
/// test starts (swift-nio), or to a port where nothing listens.
@Suite("Webhook deliveries")
struct WebhookDeliveryTests {
    /// `frames` synthetic frames through a relay that writes an alert start/end every `every` frames.
    func pipeline(url: String, deadLetter: String, frames: Int = 20, every: Int = 5, settings: String = "") -> String {
        """
        sources:
          cam:
            type: synthetic
            frames: \(frames)
        stages:
          alerts:
            type: relay
            inputs: [cam]
            event_every: \(every)
        sinks:
          hook:
            type: webhook
            inputs: [alerts]
            url: \(url)
            secret: ${VIGIL_WEBHOOK_SECRET}
            dead_letter: \(deadLetter)
            backoff: {initial: 10ms, max: 40ms}
        \(settings)
        """
    }

    func counter(_ metrics: PipelineMetrics, _ name: String, _ extra: [(String, String)] = []) -> Int {
        Int(metrics.counterValue("vigil_webhook_\(name)_total", [("stage", "hook")] + extra))
    }

    /// Recomputed here with the secret, independently of the sink's signing code.
    func expectedSignature(_ request: HTTPReceiver.Request, secret: String) throws -> String {
        let timestamp = try #require(request.header("X-Vigil-Timestamp"))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + request.body,
                                                  using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test func everyEventIsPostedSignedWithItsIdempotencyKey() async throws {
        let receiver = try await HTTPReceiver.start()
        let dir = try scratchDirectory()
        let (summary, metrics) = try await run(pipeline(url: receiver.url, deadLetter: "\(dir)/dead.jsonl"))
        await receiver.shutdown()
        #expect(summary.status == .completed, "\(summary.errors)")

        let requests = receiver.requests
        try #require(requests.count == 4)
        var keys: [String] = []
        for request in requests {
            #expect(request.method == "POST" && request.uri == "/hook")
            #expect(request.header("Content-Type") == "application/json")
            #expect(Int(try #require(request.header("X-Vigil-Timestamp"))) != nil)
            #expect(request.header("X-Vigil-Signature") == (try expectedSignature(request, secret: testSecret)))
            #expect(request.header("X-Vigil-Signature") != (try expectedSignature(request, secret: testSecret + "x")))
            let body = try json(request.bodyText)
            #expect(body["kind"] as? String == "event" && body["event"] as? String == "relay_alert")
            let alert = try #require(body["alert_id"] as? String), phase = try #require(body["phase"] as? String)
            #expect(request.header("Idempotency-Key") == "\(alert).\(phase)")
            #expect(request.header("X-Vigil-Delivery") == "\(alert).\(phase)")
            #expect(request.header("X-Vigil-Attempt") == "1")
            #expect(request.header("X-Vigil-Event") == "relay_alert")
            keys.append("\(alert).\(phase)")
        }
        #expect(keys.sorted() == ["alerts-0.end", "alerts-0.start", "alerts-1.end", "alerts-1.start"])
        #expect(counter(metrics, "enqueued") == 4)
        #expect(counter(metrics, "delivered") == 4)
        #expect(counter(metrics, "retries") == 0)
        #expect(try jsonLines("\(dir)/dead.jsonl").isEmpty)
    }

    @Test func aServerErrorIsRetriedThenDelivered() async throws {
        // 500, then 429 with Retry-After: 0 (honoured: no backoff), then 200.
        let receiver = try await HTTPReceiver.start { index, _ in
            switch index {
            case 0: HTTPReceiver.Response(status: 500, body: "database down")
            case 1: HTTPReceiver.Response(status: 429, headers: [("Retry-After", "0")])
            default: .ok
            }
        }
        let dir = try scratchDirectory()
        let (summary, metrics) = try await run(pipeline(url: receiver.url, deadLetter: "\(dir)/dead.jsonl", frames: 5, every: 5))
        await receiver.shutdown()
        #expect(summary.status == .completed, "\(summary.errors)")

        let requests = receiver.requests
        try #require(requests.count == 3)
        #expect(Set(requests.map { $0.header("Idempotency-Key") }) == ["alerts-0.start"])
        #expect(requests.map { $0.header("X-Vigil-Attempt") } == ["1", "2", "3"])
        #expect(Set(requests.map(\.bodyText)).count == 1)
        for request in requests {
            #expect(request.header("X-Vigil-Signature") == (try expectedSignature(request, secret: testSecret)))
        }
        #expect(counter(metrics, "delivered") == 1)
        #expect(counter(metrics, "retries") == 2)
        #expect(counter(metrics, "dead_lettered", [("reason", "attempts_exhausted")]) == 0)
        #expect(try jsonLines("\(dir)/dead.jsonl").isEmpty)
    }

    @Test func anUnreachableReceiverEndsInTheDeadLetterFileAfterMaxAttempts() async throws {
        let port = try HTTPReceiver.unusedPort()
        let dir = try scratchDirectory()
        let (summary, metrics) = try await run(pipeline(url: "http://127.0.0.1:\(port)/hook", deadLetter: "\(dir)/dead.jsonl",
                                                        settings: "    max_attempts: 3"))
        #expect(summary.status == .completed, "\(summary.errors)")

        let letters = try jsonLines("\(dir)/dead.jsonl")
        try #require(letters.count == 4)
        for letter in letters {
            #expect(letter["reason"] as? String == "attempts_exhausted")
            #expect(letter["attempts"] as? Int == 3)
            #expect(letter["status"] == nil)
            let error = try #require(letter["error"] as? String)
            #expect(error.hasPrefix("3 attempts failed; the last: cannot reach the receiver"), "\(error)")
            #expect(letter["url"] as? String == "http://127.0.0.1:\(port)/hook")
            let event = try #require(letter["event"] as? [String: Any])
            let alert = try #require(event["alert_id"] as? String), phase = try #require(event["phase"] as? String)
            #expect(letter["delivery"] as? String == "\(alert).\(phase)")
            #expect(letter["time"] is String)
        }
        #expect(counter(metrics, "delivered") == 0)
        #expect(counter(metrics, "retries") == 8)
        #expect(counter(metrics, "dead_lettered", [("reason", "attempts_exhausted")]) == 4)
    }

    @Test func aClientErrorFailsAtOnce() async throws {
        let receiver = try await HTTPReceiver.start { _, _ in HTTPReceiver.Response(status: 422, body: "unknown tenant") }
        let dir = try scratchDirectory()
        let (summary, metrics) = try await run(pipeline(url: receiver.url, deadLetter: "\(dir)/dead.jsonl", frames: 5, every: 5))
        await receiver.shutdown()
        #expect(summary.status == .completed, "\(summary.errors)")
        #expect(receiver.requests.count == 1)
        let letters = try jsonLines("\(dir)/dead.jsonl")
        try #require(letters.count == 1)
        #expect(letters[0]["reason"] as? String == "rejected")
        #expect(letters[0]["attempts"] as? Int == 1)
        #expect(letters[0]["status"] as? Int == 422)
        #expect(letters[0]["error"] as? String == "the receiver answered 422 Unprocessable Entity: unknown tenant")
        #expect(counter(metrics, "dead_lettered", [("reason", "rejected")]) == 1)
        #expect(counter(metrics, "retries") == 0)
    }

    @Test func deadLettersAreAppendedToWhatEarlierRunsLeft() async throws {
        let receiver = try await HTTPReceiver.start { _, _ in HTTPReceiver.Response(status: 410) }
        let dir = try scratchDirectory()
        let yaml = pipeline(url: receiver.url, deadLetter: "\(dir)/dead.jsonl", frames: 5, every: 5)
        _ = try await run(yaml)
        _ = try await run(yaml)
        await receiver.shutdown()
        #expect(try jsonLines("\(dir)/dead.jsonl").count == 2)
    }
}
