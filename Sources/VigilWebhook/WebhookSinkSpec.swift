import Foundation
public import VigilCore

/// `type: webhook` — POSTs every event (alerts: `start`, `update`, `end`; stream gaps) as JSON to a
/// receiver, signed, with retries, without ever slowing the pipeline.
///
/// ```yaml
/// sinks:
///   notify:
///     type: webhook
///     inputs: [alerts]
///     url: https://ops.example.com/hooks/vigil
///     secret: ${VIGIL_WEBHOOK_SECRET}     # required; HMAC-SHA256 key of X-Vigil-Signature
///     timeout: 10s                        # per attempt
///     max_attempts: 5
///     backoff: {initial: 500ms, max: 30s} # exponential, with jitter
///     queue: 1000                         # deliveries pending at most; more go to the dead letter
///     concurrency: 4                      # requests in flight at most
///     drain_timeout: 10s                  # at the end of the run, then the rest go to the dead letter
///     dead_letter: out/notify.dead-letter.jsonl
///     kinds: [dwell, crowd]               # only these event kinds (default: all)
///     phases: [start, end]                # only these alert phases (events without one always pass)
/// ```
///
/// The body is the event's JSON object, the same as a `jsonl` line. Headers: `X-Vigil-Timestamp`
/// (unix seconds), `X-Vigil-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`,
/// `Idempotency-Key` and `X-Vigil-Delivery` (the same key for every attempt; see ``DeliveryKey``),
/// `X-Vigil-Attempt`, `X-Vigil-Event` (the event kind).
///
/// It reads `events`: from an events source, or from a stage whose output carries frames and events
/// (`alert`), of which it is sent only the events. Frames and rows are not delivered.
public struct WebhookSinkSpec: StageSpec {
    public static let typeName = "webhook"
    public static let role = StageRole.sink
    public static let summary = "POST events as signed JSON to an HTTP receiver, with retries and a dead-letter file"

    public var url: String
    var secret: WebhookSecret
    public var timeout = 10.0
    public var maxAttempts = 5
    public var backoffInitial = 0.5
    public var backoffMax = 30.0
    public var queue = 1000
    public var concurrency = 4
    public var drainTimeout = 10.0
    /// `nil` for `out/<id>.dead-letter.jsonl`.
    public var deadLetter: String?
    public var filter = EventFilter()

    public init(config: ConfigReader) {
        url = ""
        if config.has("url") {
            if let text = config.url("url", schemes: ["http", "https"], allowPath: false) {
                if let problem = Self.problem(withURL: text) {
                    config.error("invalid value '\(text)' for 'url': \(problem)", at: config.raw("url")?.location)
                }
                url = text
            }
        } else {
            config.missing("url")
        }
        secret = WebhookSecret(Self.readSecret(config))
        timeout = Self.positive(config, "timeout") ?? timeout
        maxAttempts = config.int("max_attempts", in: 1...100) ?? maxAttempts
        if let backoff = config.nested("backoff") {
            backoffInitial = Self.positive(backoff, "initial") ?? backoffInitial
            backoffMax = Self.positive(backoff, "max") ?? max(backoffMax, backoffInitial)
            if backoffMax < backoffInitial {
                backoff.error("'max' (\(formatSeconds(backoffMax))) is shorter than 'initial' (\(formatSeconds(backoffInitial)))",
                              at: backoff.raw("max")?.location)
            }
            backoff.finish()
        }
        queue = config.int("queue", in: 1...1_000_000) ?? queue
        concurrency = config.int("concurrency", in: 1...256) ?? concurrency
        drainTimeout = config.duration("drain_timeout") ?? drainTimeout
        deadLetter = config.string("dead_letter")
        if deadLetter?.isEmpty == true {
            config.error("'dead_letter' is empty; give a file path", at: config.raw("dead_letter")?.location)
        }
        filter = EventFilter(config: config)
        config.finish()
    }

    public var inputPorts: Set<PortType> { [.events] }
    public var outputPort: PortType? { nil }

    /// The dead-letter file's path as written in the pipeline (default `out/<id>.dead-letter.jsonl`).
    public func deadLetterPath(id: String) -> String { deadLetter ?? "out/\(id).dead-letter.jsonl" }

    /// Creates the dead-letter file's folder and checks the file can be opened for appending. The
    /// receiver is not contacted: it may be down now and up later, which is what retries are for.
    public func preflight(context: StageContext) async throws {
        let path = context.resolvePath(deadLetterPath(id: context.id))
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw VigilError(.io, "cannot create the dead-letter folder: \(error.localizedDescription)", subject: directory.path)
        }
        try DeadLetterFile(path: path).close()
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        WebhookSink(spec: self, context: context,
                    deadLetter: try DeadLetterFile(path: context.resolvePath(deadLetterPath(id: context.id))))
    }

    var machineConfiguration: DeliveryStateMachine.Configuration {
        .init(maxAttempts: maxAttempts, queueCapacity: queue, concurrency: concurrency, attemptTimeout: timeout,
              backoff: Backoff(initial: backoffInitial, maximum: backoffMax))
    }

    /// The URL as logged and written to dead letters: without user name or password.
    var displayURL: String {
        guard var components = URLComponents(string: url) else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? url
    }

    private static func problem(withURL text: String) -> String? {
        guard let components = URLComponents(string: text) else { return "not a valid URL" }
        guard let host = components.host, !host.isEmpty else { return "the URL has no host" }
        if components.fragment != nil { return "a URL sent to a receiver has no #fragment" }
        return nil
    }

    /// The secret, or "" after reporting why there is none. An unset `${VAR}` was already reported by
    /// the loader (and left a null value): it is not reported twice.
    private static func readSecret(_ config: ConfigReader) -> String {
        let empty = "'secret' is empty; set it to a long random value shared with the receiver, e.g. secret: ${VIGIL_WEBHOOK_SECRET}"
        guard let entry = config.node.entry("secret") else {
            config.missing("secret")
            return ""
        }
        guard let node = config.raw("secret") else {
            let location = entry.value.location
            if !config.diagnostics.diagnostics.contains(where: { $0.location == location }) { config.error(empty, at: location) }
            return ""
        }
        guard let text = node.scalar else {
            config.error("'secret' must be a string, found \(node.shapeName)", at: node.location)
            return ""
        }
        if text.isEmpty { config.error(empty, at: node.location) }
        return text
    }

    private static func positive(_ config: ConfigReader, _ key: String) -> Double? {
        guard let value = config.duration(key) else { return nil }
        guard value > 0 else {
            config.error("'\(key)' must be longer than 0s", at: config.raw(key)?.location)
            return nil
        }
        return value
    }
}

/// The shared secret; never printed.
struct WebhookSecret: Sendable, CustomStringConvertible {
    let value: String
    init(_ value: String) { self.value = value }
    var description: String { "<redacted>" }
}
