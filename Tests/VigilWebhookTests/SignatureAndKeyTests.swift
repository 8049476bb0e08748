import Crypto
import Foundation
import Testing
import VigilCore
import VigilTesting
@testable import VigilWebhook

@Suite("Webhook signature, delivery keys, dead letters")
struct SignatureAndKeyTests {
    /// Checked against an independent implementation: Python's hmac module.
    @Test func theSignatureIsHMACSHA256OfTimestampDotBodyAsPythonComputesIt() async throws {
        let body = #"{"kind":"event","message":"caf\u00e9 \"quoted\" é"}"#
        let secret = "k3y with spaces & ünïcode"
        let header = WebhookSignature.header(body: body.utf8, timestamp: 1_700_000_000, key: SymmetricKey(data: Array(secret.utf8)))
        let script = """
        import hmac, hashlib, sys
        secret, ts, body = (a.encode() for a in sys.argv[1:4])
        print("sha256=" + hmac.new(secret, ts + b"." + body, hashlib.sha256).hexdigest())
        """
        let python = try ChildProcess(["python3", "-c", script, secret, "1700000000", body])
        let result = await python.exited(timeout: 30)
        #expect(result.status == 0, "\(result.errors)")
        #expect(header == result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(header.hasPrefix("sha256=") && header.count == 7 + 64)
    }

    func event(alert: String? = nil, phase: Event.Phase? = nil, time: Double = 12.345) -> Event {
        Event(time: MediaTime(seconds: time), sourceID: "cam1", rule: "loiter", kind: "dwell", trackID: 4, zone: "gate",
              message: "m", alertID: alert, phase: phase)
    }

    @Test func keysComeFromTheAlertAndItsPhase() {
        #expect(DeliveryKey.make(for: event(alert: "loiter/cam1/4/12.0", phase: .start)) == "loiter/cam1/4/12.0.start")
        #expect(DeliveryKey.make(for: event(alert: "a1", phase: .end)) == "a1.end")
        // Several updates per alert: each its own key, the same on every run over the same input.
        #expect(DeliveryKey.make(for: event(alert: "a1", phase: .update, time: 13.5)) == "a1.update.13500")
        #expect(DeliveryKey.make(for: event(alert: "a1", phase: .update, time: 14)) == "a1.update.14000")
        #expect(DeliveryKey.make(for: event(alert: "zone gate é", phase: .start)) == "zone%20gate%20%C3%A9.start")
    }

    @Test func eventsWithoutALifecycleGetAStableDigest() {
        let gap = event()
        let key = DeliveryKey.make(for: gap)
        #expect(key.hasPrefix("event.") && key.count == 6 + 32)
        #expect(DeliveryKey.make(for: gap) == key)
        #expect(DeliveryKey.make(for: event(time: 20)) != key)
        var otherTrack = gap
        otherTrack.trackID = 5
        #expect(DeliveryKey.make(for: otherTrack) != key)
    }

    @Test func filtersByKindAndPhase() {
        let filter = EventFilter(kinds: ["dwell"], phases: [.start])
        #expect(filter.accepts(event(alert: "a", phase: .start)))
        #expect(!filter.accepts(event(alert: "a", phase: .end)))
        #expect(filter.accepts(event()))   // no lifecycle: not filtered by phase
        var gap = event()
        gap.kind = "stream_gap"
        #expect(!filter.accepts(gap))
        #expect(EventFilter().accepts(gap))
    }

    @Test func aDeadLetterLineHoldsTheEventAsPostedAndWhatWentWrong() throws {
        var writer = JSONWriter()
        let alert = event(alert: "a1", phase: .start)
        JSONLinesEncoding.encode(alert, into: &writer)
        var delivery = Delivery(id: 0, event: alert, body: writer.text, key: "a1.start")
        delivery.attempts = 3
        delivery.lastStatus = 503
        let letter = DeadLetter(delivery: delivery, reason: .attemptsExhausted, error: "3 attempts failed; the last: \"503\"")
        let line = DeadLetterFile.line(letter, url: "https://example.com/hook", time: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(!line.contains("\n"))
        let object = try json(line)
        #expect(object["time"] as? String == "2023-11-14T22:13:20.000Z")
        #expect(object["reason"] as? String == "attempts_exhausted")
        #expect(object["error"] as? String == "3 attempts failed; the last: \"503\"")
        #expect(object["attempts"] as? Int == 3)
        #expect(object["status"] as? Int == 503)
        #expect(object["delivery"] as? String == "a1.start")
        #expect(object["url"] as? String == "https://example.com/hook")
        let posted = try #require(object["event"] as? [String: Any])
        #expect(posted["alert_id"] as? String == "a1" && posted["phase"] as? String == "start" && posted["event"] as? String == "dwell")
    }
}
