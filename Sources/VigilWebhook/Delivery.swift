import VigilCore

/// One event on its way to the receiver: its JSON body, its idempotency key, and how its attempts went.
struct Delivery: Sendable {
    /// Unique within one sink, in arrival order.
    var id: Int
    var event: Event
    var body: String
    var key: String
    var attempts = 0
    /// What went wrong last (an answer's status and excerpt, or the connection error).
    var lastError: String?
    var lastStatus: Int?

    init(id: Int, event: Event, body: String, key: String) {
        self.id = id; self.event = event; self.body = body; self.key = key
    }
}

/// How one attempt ended.
enum AttemptOutcome: Sendable, Equatable {
    /// The receiver answered: its status, its `Retry-After` in seconds if it sent one, and a short
    /// description for the dead letter.
    case answered(status: Int, retryAfter: Double?, message: String)
    /// No answer: connection refused or reset, TLS failure, timeout.
    case failed(message: String)

    /// 2xx is delivered. 408, 429 and 5xx are worth retrying, as is any failure to get an answer. Any
    /// other answer (a 3xx — redirects are not followed for a signed POST — or a 4xx) will not change by
    /// asking again.
    enum Verdict: Sendable, Equatable { case delivered, retry, reject }

    var verdict: Verdict {
        switch self {
        case .failed: return .retry
        case .answered(let status, _, _):
            switch status {
            case 200..<300: return .delivered
            case 408, 429, 500..<600: return .retry
            default: return .reject
            }
        }
    }

    var message: String {
        switch self {
        case .answered(_, _, let message), .failed(let message): message
        }
    }
}

/// Why a delivery was given up, in the dead letter's `reason`.
enum DeadLetterReason: String, Sendable, CaseIterable {
    /// The queue already held `queue` deliveries when the event arrived.
    case queueFull = "queue_full"
    /// The receiver answered with a status that retrying will not change (a 4xx other than 408/429).
    case rejected
    /// `max_attempts` attempts failed.
    case attemptsExhausted = "attempts_exhausted"
    /// The run ended (and `drain_timeout` passed) before it could be delivered.
    case runEnded = "run_ended"
}

/// A delivery given up, with why: one line of the dead-letter file.
struct DeadLetter: Sendable {
    var delivery: Delivery
    var reason: DeadLetterReason
    var error: String
}
