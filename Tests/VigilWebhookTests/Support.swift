import Foundation
import Synchronization
import Testing
import VigilCore
import VigilPipeline
import VigilTesting
import VigilWebhook

let webhookRegistry = StageRegistry(TestKinds.all + [WebhookSinkSpec.self])
let testSecret = "s3cr3t-shared-with-the-receiver"

func load(_ yaml: String, environment: [String: String] = ["VIGIL_WEBHOOK_SECRET": testSecret]) throws -> PipelineSpec {
    try PipelineLoader(registry: webhookRegistry, environment: environment).load(text: yaml, file: "p.yaml")
}

/// The diagnostics of a pipeline that must not validate, as "line:column: message".
func diagnostics(_ yaml: String, environment: [String: String] = ["VIGIL_WEBHOOK_SECRET": testSecret]) -> [String] {
    do {
        _ = try load(yaml, environment: environment)
        return []
    } catch let error as ValidationError {
        return error.diagnostics.map { d in d.location.map { "\($0.line):\($0.column): \(d.message)" } ?? d.message }
    } catch {
        return ["unexpected error: \(error)"]
    }
}

/// Runs a pipeline in batch mode with its own metrics; fails after `timeout` seconds instead of hanging.
func run(_ yaml: String, timeout: Double = 120) async throws -> (summary: RunSummary, metrics: PipelineMetrics) {
    let spec = try load(yaml)
    let metrics = PipelineMetrics()
    let runner = PipelineRunner(spec: spec, options: RunOptions(mode: .batch), metrics: metrics)
    let summary = try await withDeadline(timeout, "the pipeline run") { try await runner.run() }
    return (summary, metrics)
}

/// A fresh folder for one test's files.
func scratchDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-webhook-\(UInt64.random(in: 0...UInt64.max))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The JSON objects of a JSON Lines file (none when it does not exist).
func jsonLines(_ path: String) throws -> [[String: Any]] {
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

func json(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var seconds: Double
    var description: String { "\(what) did not finish within \(seconds)s" }
}

/// `body`'s result, or `DeadlineExceeded` after `seconds` (the body is cancelled, not waited for).
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = Outcome<T>()
    let work = Task { outcome.settle(await Result(catching: body)) }
    let timer = Task {
        try? await Task.sleep(for: .seconds(seconds))
        guard !Task.isCancelled else { return }
        outcome.settle(.failure(DeadlineExceeded(what: what, seconds: seconds)))
        work.cancel()
    }
    defer { timer.cancel() }
    return try await outcome.value()
}

/// A result settled once, by whoever comes first, and awaited by one task.
private final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }
    private let state = Mutex(State())

    func settle(_ result: Result<T, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<T, any Error>? in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { s -> Result<T, any Error>? in
                if let result = s.result { return result }
                s.waiter = continuation
                return nil
            }
            if let settled { continuation.resume(with: settled) }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
