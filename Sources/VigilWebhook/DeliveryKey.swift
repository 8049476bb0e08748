import Crypto
import VigilCore

/// The idempotency key of a delivery, sent as `Idempotency-Key` and `X-Vigil-Delivery`: the same for
/// every attempt of one delivery, and for the same event when the same input is processed again, so a
/// receiver can drop duplicates.
///
/// - an alert's `start` and `end`: `<alert id>.start`, `<alert id>.end` (there is one of each per alert);
/// - an alert's `update`s (several per alert): `<alert id>.update.<media time in ms>`;
/// - an event without a lifecycle (a stream gap): `event.` and the first 32 hex digits of the SHA-256 of
///   its source, rule, kind, media time, track and zone.
///
/// Characters that may not appear in a header value (controls, non-ASCII, spaces) are percent-encoded.
enum DeliveryKey {
    static func make(for event: Event) -> String {
        if let alert = event.alertID, !alert.isEmpty {
            switch event.phase {
            case .start?, .end?: return headerSafe("\(alert).\(event.phase!.rawValue)")
            case .update?: return headerSafe("\(alert).update.\(milliseconds(event.time))")
            case nil: return headerSafe("\(alert).\(milliseconds(event.time))")
            }
        }
        let fields = [event.sourceID, event.rule, event.kind, "\(milliseconds(event.time))",
                      event.trackID.map(String.init) ?? "", event.zone ?? ""]
        let digest = SHA256.hash(data: Array(fields.joined(separator: "\u{1f}").utf8))
        return "event." + WebhookSignature.hex(digest).prefix(32)
    }

    private static func milliseconds(_ time: MediaTime) -> Int64 { Int64((time.seconds * 1000).rounded()) }

    /// Visible ASCII except `%` stays; everything else becomes `%XX` per UTF-8 byte.
    static func headerSafe(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte > 0x20, byte < 0x7f, byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + WebhookSignature.hex([byte]).uppercased()
            }
        }
        return out
    }
}
