import Testing
import VigilCore
import VigilPipeline
@testable import VigilWebhook

/// The `webhook` sink's settings: every problem reported at its position, all at once.
@Suite("Webhook spec")
struct WebhookSpecTests {
    /// `alerts` writes frames with alerts among them (or, with `alerts: false`, frames only).
    func pipeline(_ settings: String, inputs: String = "[alerts]", alerts: Bool = true) -> String {
        """
        sources:
          cam:
            type: synthetic
        stages:
          alerts:
            type: relay
            inputs: [cam]
            \(alerts ? "event_every: 5" : "")
        sinks:
          hook:
            type: webhook
            inputs: \(inputs)
        \(settings)
        """
    }

    @Test func aCompleteSpecReadsEverySetting() throws {
        let spec = try load(pipeline("""
            url: https://ops.example.com/hooks/vigil?tenant=7
            secret: ${VIGIL_WEBHOOK_SECRET}
            timeout: 2s
            max_attempts: 7
            backoff: {initial: 250ms, max: 1m}
            queue: 50
            concurrency: 3
            drain_timeout: 1500ms
            dead_letter: out/hook.dead.jsonl
            kinds: [dwell, crowd]
            phases: [start, end]
        """))
        let hook = try #require(spec.component("hook")?.spec as? WebhookSinkSpec)
        #expect(hook.url == "https://ops.example.com/hooks/vigil?tenant=7")
        #expect(hook.secret.value == testSecret)
        #expect("\(hook.secret)" == "<redacted>")
        #expect(hook.timeout == 2 && hook.maxAttempts == 7 && hook.queue == 50 && hook.concurrency == 3)
        #expect(hook.backoffInitial == 0.25 && hook.backoffMax == 60 && hook.drainTimeout == 1.5)
        #expect(hook.deadLetterPath(id: "hook") == "out/hook.dead.jsonl")
        #expect(hook.filter == EventFilter(kinds: ["dwell", "crowd"], phases: [.start, .end]))
    }

    @Test func defaults() throws {
        let spec = try load(pipeline("""
            url: http://127.0.0.1:8080/hook
            secret: ${VIGIL_WEBHOOK_SECRET}
        """))
        let hook = try #require(spec.component("hook")?.spec as? WebhookSinkSpec)
        #expect(hook.timeout == 10 && hook.maxAttempts == 5 && hook.queue == 1000 && hook.concurrency == 4)
        #expect(hook.backoffInitial == 0.5 && hook.backoffMax == 30 && hook.drainTimeout == 10)
        #expect(hook.deadLetterPath(id: "hook") == "out/hook.dead-letter.jsonl")
        #expect(hook.filter == EventFilter())
    }

    @Test func missingURLAndSecretAreReportedAtTheComponent() {
        #expect(diagnostics(pipeline("    timeout: 5s")) == [
            "11:5: missing required key 'url'",
            "11:5: missing required key 'secret'",
        ])
    }

    @Test func badValuesAreReportedWhereTheyAre() {
        let d = diagnostics(pipeline("""
            url: ftp://example.com/hook
            secret: ""
            timeout: 0s
            max_attempts: 0
            backoff: {initial: 2s, max: 1s}
            queue: -1
            concurrency: many
            phases: [start, finish]
            kinds: [[nested]]
            retries: 3
        """))
        #expect(d == [
            "13:10: invalid value 'ftp://example.com/hook' for 'url': expected a URL (http://, https://)",
            "14:13: 'secret' is empty; set it to a long random value shared with the receiver, e.g. secret: ${VIGIL_WEBHOOK_SECRET}",
            "15:14: 'timeout' must be longer than 0s",
            "16:19: invalid value '0' for 'max_attempts': expected an integer in 1...100",
            "17:33: 'max' (1s) is shorter than 'initial' (2s)",
            "18:12: invalid value '-1' for 'queue': expected an integer in 1...1000000",
            "19:18: invalid value 'many' for 'concurrency': expected an integer in 1...256",
            "20:21: invalid phase 'finish' in 'phases': expected start, update, end",
            "21:13: 'kinds' must contain event kinds such as dwell or zone_enter, found a list",
            "22:5: unknown key 'retries'; expected one of: backoff, buffer, concurrency, dead_letter, drain_timeout, inputs, "
                + "kinds, max_attempts, phases, queue, secret, timeout, type, url",
        ])
    }

    @Test(arguments: [
        ("http://exa mple.com/hook", "expected a URL (http://, https://)"),
        ("http://:8080/hook", "the URL has no host"),
        ("https://example.com/hook#part", "a URL sent to a receiver has no #fragment"),
    ])
    func urlsWithoutAReceiverAreRejected(url: String, problem: String) {
        #expect(diagnostics(pipeline("""
            url: \(url)
            secret: x
        """)) == ["13:10: invalid value '\(url)' for 'url': \(problem)"])
    }

    @Test func credentialsInTheURLAreNeitherLoggedNorDeadLettered() throws {
        let spec = try load(pipeline("    url: https://vigil:pa55@ops.example.com/hook?x=1\n    secret: x"))
        let hook = try #require(spec.component("hook")?.spec as? WebhookSinkSpec)
        #expect(hook.displayURL == "https://ops.example.com/hook?x=1")
    }

    @Test func anUnsetSecretVariableIsReportedOnce() {
        let d = diagnostics(pipeline("""
            url: http://127.0.0.1/hook
            secret: ${VIGIL_WEBHOOK_SECRET}
        """), environment: [:])
        #expect(d == ["14:13: environment variable 'VIGIL_WEBHOOK_SECRET' is not set (use ${VIGIL_WEBHOOK_SECRET:-default} for a default)"])
    }

    @Test func itReadsEventsFromAnEventsSourceOrAStageThatAddsAlertsToFrames() throws {
        _ = try load("""
        sources:
          ticks:
            type: ticker
        sinks:
          hook:
            type: webhook
            inputs: [ticks]
            url: http://127.0.0.1/hook
            secret: x
        """)
        let spec = try load(pipeline("    url: http://127.0.0.1/hook\n    secret: x"))
        #expect(spec.component("hook")?.spec.inputPorts == [.events])
    }

    @Test func aStageWritingOnlyFramesCannotFeedIt() {
        #expect(diagnostics(pipeline("    url: http://127.0.0.1/hook\n    secret: x", alerts: false)) == [
            "12:14: port type mismatch: 'alerts' writes frames but 'hook' (webhook) reads events",
        ])
    }
}
