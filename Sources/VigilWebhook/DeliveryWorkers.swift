import Logging
import Metrics
import Synchronization

/// The sink's counters, in the run's metrics (`vigil_webhook_*_total{stage}`).
struct WebhookCounters: Sendable {
    let enqueued: Counter
    let delivered: Counter
    let retried: Counter
    let deadLettered: [DeadLetterReason: Counter]

    init(stage: String, factory: any MetricsFactory) {
        let dimensions = [("stage", stage)]
        enqueued = Counter(label: "vigil_webhook_enqueued_total", dimensions: dimensions, factory: factory)
        delivered = Counter(label: "vigil_webhook_delivered_total", dimensions: dimensions, factory: factory)
        retried = Counter(label: "vigil_webhook_retries_total", dimensions: dimensions, factory: factory)
        var letters: [DeadLetterReason: Counter] = [:]
        for reason in DeadLetterReason.allCases {
            letters[reason] = Counter(label: "vigil_webhook_dead_lettered_total",
                                      dimensions: dimensions + [("reason", reason.rawValue)], factory: factory)
        }
        deadLettered = letters
    }
}

/// `concurrency` workers taking deliveries from the coordinator, one attempt at a time each.
final class DeliveryWorkers: Sendable {
    let coordinator: DeliveryCoordinator
    let transport: WebhookTransport
    let deadLetterFile: DeadLetterFile
    let url: String
    let counters: WebhookCounters
    let logger: Logger
    private let totals = Mutex(Summary())
    /// Whether the receiver is failing now: changes are logged at info, single failures at debug.
    private let failing = Mutex(false)

    struct Summary: Sendable { var delivered = 0, retried = 0, deadLettered = 0 }

    init(coordinator: DeliveryCoordinator, transport: WebhookTransport, deadLetter: DeadLetterFile, url: String,
         counters: WebhookCounters, logger: Logger) {
        self.coordinator = coordinator; self.transport = transport; self.deadLetterFile = deadLetter
        self.url = url; self.counters = counters; self.logger = logger
    }

    var summary: Summary { totals.withLock { $0 } }

    /// One worker: attempts deliveries until nothing is pending after the input ended, or cancellation.
    func run() async {
        while let next = await coordinator.next(deadLetter: deadLetter) {
            let delivery = next.delivery
            let outcome: AttemptOutcome
            do {
                outcome = try await transport.attempt(delivery, timeout: next.timeout)
            } catch {
                return  // cancelled at the drain deadline: the delivery is dead-lettered by the sink
            }
            switch coordinator.attemptFinished(id: delivery.id, outcome: outcome) {
            case .delivered:
                counters.delivered.increment()
                totals.withLock { $0.delivered += 1 }
                receiverAnswered(ok: true, outcome)
            case .retry(let retry, let delay):
                counters.retried.increment()
                totals.withLock { $0.retried += 1 }
                receiverAnswered(ok: false, outcome)
                logger.debug("webhook delivery will be retried", metadata: [
                    "webhook.delivery": "\(retry.key)", "webhook.attempts": "\(retry.attempts)",
                    "retry.after_seconds": "\(delay)", "error": "\(outcome.message)"])
            case .deadLetter(let letter):
                receiverAnswered(ok: false, outcome)
                deadLetter([letter])
            case .ignored:
                break
            }
        }
    }

    /// Writes given-up deliveries to the dead-letter file and counts them.
    func deadLetter(_ letters: [DeadLetter]) {
        guard !letters.isEmpty else { return }
        deadLetterFile.write(letters, url: url)
        totals.withLock { $0.deadLettered += letters.count }
        for letter in letters {
            counters.deadLettered[letter.reason]?.increment()
            logger.debug("webhook delivery dead-lettered", metadata: [
                "webhook.delivery": "\(letter.delivery.key)", "webhook.reason": "\(letter.reason.rawValue)",
                "webhook.attempts": "\(letter.delivery.attempts)", "error": "\(letter.error)"])
        }
    }

    private func receiverAnswered(ok: Bool, _ outcome: AttemptOutcome) {
        let changed = failing.withLock { failing -> Bool in
            defer { failing = !ok }
            return failing == ok
        }
        guard changed else { return }
        if ok {
            logger.info("webhook deliveries succeeding again", metadata: ["webhook.url": "\(url)"])
        } else {
            logger.info("webhook deliveries failing", metadata: [
                "webhook.url": "\(url)", "error": "\(outcome.message)"])
        }
    }
}
