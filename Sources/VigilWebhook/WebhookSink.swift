import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import VigilCore

/// The running `webhook` sink. Its run loop only encodes and enqueues (a full queue sends the event to
/// the dead letter instead of waiting), so the pipeline never waits for the receiver; `concurrency`
/// workers deliver over one `HTTPClient` that the sink owns and shuts down when it finishes. When the
/// input ends, pending deliveries get `drain_timeout`, then go to the dead-letter file.
final class WebhookSink: Stage {
    let spec: WebhookSinkSpec
    let context: StageContext
    let deadLetter: DeadLetterFile
    var logger: Logger

    init(spec: WebhookSinkSpec, context: StageContext, deadLetter: DeadLetterFile) {
        self.spec = spec
        self.context = context
        self.deadLetter = deadLetter
        self.logger = context.logger
        self.logger[metadataKey: "stage.id"] = "\(context.id)"
    }

    private enum Ended: Sendable { case workerStopped, drainTimedOut }

    func run(input: StageInput, output: StageOutput) async throws {
        defer { deadLetter.close() }
        let coordinator = DeliveryCoordinator(machine: DeliveryStateMachine(configuration: spec.machineConfiguration))
        let counters = WebhookCounters(stage: context.id, factory: context.metrics)
        let drainTimeout = spec.drainTimeout
        logger.info("webhook sink started", metadata: [
            "webhook.url": "\(spec.displayURL)", "webhook.concurrency": "\(spec.concurrency)", "webhook.queue": "\(spec.queue)"])
        var upstreamError: (any Error)?
        let configuration = WebhookTransport.configuration(timeout: spec.timeout, concurrency: spec.concurrency)
        let workers = try await HTTPClient.withHTTPClient(configuration: configuration, backgroundActivityLogger: logger) { client in
            let workers = DeliveryWorkers(
                coordinator: coordinator, transport: WebhookTransport(client: client, url: spec.url, secret: Array(spec.secret.value.utf8)),
                deadLetter: deadLetter, url: spec.displayURL, counters: counters, logger: logger)
            await withTaskGroup(of: Ended.self) { group in
                for _ in 0..<spec.concurrency {
                    group.addTask { await workers.run(); return .workerStopped }
                }
                do {
                    try await enqueue(input, into: coordinator, workers: workers, counters: counters)
                } catch {
                    upstreamError = error
                }
                coordinator.finishInput(drainTimeout: drainTimeout)
                group.addTask {
                    try? await Task.sleep(for: .seconds(drainTimeout))
                    return .drainTimedOut
                }
                // Every worker stops once nothing is pending; the drain deadline stops them all.
                var running = spec.concurrency
                while running > 0, let ended = await group.next() {
                    if ended == .drainTimedOut { break }
                    running -= 1
                }
                group.cancelAll()
            }
            workers.deadLetter(coordinator.abandonAll())
            return workers
        }
        let summary = workers.summary
        logger.info("webhook sink finished", metadata: [
            "webhook.delivered": "\(summary.delivered)", "webhook.retried": "\(summary.retried)",
            "webhook.dead_lettered": "\(summary.deadLettered)", "webhook.dead_letter": "\(deadLetter.path)"])
        if let upstreamError { throw upstreamError }
        if let writeError = deadLetter.writeError {
            throw VigilError(.io, "could not write every dead letter: \(writeError)", subject: deadLetter.path)
        }
    }

    /// The run loop: filter, encode, enqueue. It never waits for the receiver.
    private func enqueue(_ input: StageInput, into coordinator: DeliveryCoordinator, workers: DeliveryWorkers,
                         counters: WebhookCounters) async throws {
        var writer = JSONWriter()
        var nextID = 0
        for try await message in input {
            guard case .event(let event) = message, spec.filter.accepts(event) else { continue }
            writer.reset()
            JSONLinesEncoding.encode(event, into: &writer)
            let delivery = Delivery(id: nextID, event: event, body: writer.text, key: DeliveryKey.make(for: event))
            nextID += 1
            counters.enqueued.increment()
            if let rejected = coordinator.enqueue(delivery) { workers.deadLetter([rejected]) }
        }
    }
}
