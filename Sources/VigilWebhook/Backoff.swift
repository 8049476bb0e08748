import Foundation

/// Exponential backoff with jitter: after the n-th failed attempt, wait `initial · 2^(n−1)` capped at
/// `maximum`, scaled by a random factor in [0.5, 1) ("equal jitter"), so a burst of deliveries that
/// failed together does not come back together, and no wait is shorter than half the nominal one.
struct Backoff: Hashable, Sendable {
    var initial: Double
    var maximum: Double

    init(initial: Double, maximum: Double) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// The wait before the next attempt, after `attempts` attempts have failed (≥ 1). `jitter` is a
    /// uniform random number in [0, 1); the caller draws it, so this stays a pure function.
    func delay(afterAttempts attempts: Int, jitter: Double) -> Double {
        let nominal = min(maximum, initial * pow(2, Double(max(0, attempts - 1))))
        return nominal * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }
}

/// The `Retry-After` header of a 429 or 503 answer: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
enum RetryAfter {
    /// Seconds to wait from `now`, `nil` when the value is neither form. A date in the past is 0.
    static func seconds(_ value: String, now: Date) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text) { return seconds >= 0 ? Double(seconds) : nil }
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }

    /// IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must still accept.
    private static let formats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]
}
