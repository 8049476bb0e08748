public import Crypto

/// How a receiver knows a delivery came from this pipeline and is fresh: the HMAC-SHA256, keyed with the
/// shared secret, of `"<timestamp>.<body>"`, sent as `X-Vigil-Signature: sha256=<hex>` next to
/// `X-Vigil-Timestamp: <timestamp>` (unix seconds). Signing the timestamp with the body lets a receiver
/// reject a replayed request whose timestamp is old, without being able to forge a new one. Each attempt
/// is signed afresh with its own timestamp, so a retry an hour later is not mistaken for a replay.
///
/// A receiver checks it like this (Python):
///
/// ```python
/// expected = "sha256=" + hmac.new(secret, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
/// ok = hmac.compare_digest(expected, request.headers["X-Vigil-Signature"]) and abs(time.time() - int(ts)) < 300
/// ```
public enum WebhookSignature {
    public static let timestampHeader = "X-Vigil-Timestamp"
    public static let signatureHeader = "X-Vigil-Signature"

    /// `sha256=<64 lowercase hex digits>` for `body` sent at `timestamp`.
    public static func header(body: some Sequence<UInt8>, timestamp: Int, key: SymmetricKey) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("\(timestamp).".utf8))
        mac.update(data: Array(body))
        return "sha256=" + hex(mac.finalize())
    }

    /// Lowercase hexadecimal of a digest or any bytes.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
