import Foundation
import Logging
import VigilCore
import VigilStore
import VigilTesting

/// A StageContext for driving the sink directly.
func sinkContext(id: String = "db", pipeline: String = "test-pipeline", mode: RunMode = .batch,
                 sources: [String] = ["cam1"], rerun: RerunPolicy? = nil) -> StageContext {
    var context = StageContext(id: id, logger: TestPostgres.logger, mode: mode, shutdown: ShutdownSignal(),
                               frameRequirement: nil, upstreamSources: sources, pipelineName: pipeline)
    context.runPolicy = RunPolicy(rerun: rerun, pipelineHash: "hash-1",
                                    inputs: Dictionary(uniqueKeysWithValues: sources.map { ($0, "file:///videos/\($0).mp4") }))
    return context
}

/// Runs the `postgres` sink over `messages` into `url`.
func runSink(_ messages: [Message], url: DatabaseURL, context: StageContext = sinkContext(), batchRows: Int = 5000,
             retryFor: Double = 60, beforeEach: (@Sendable (Int) async throws -> Void)? = nil) async throws {
    let spec = PostgresSinkSpec(url: url.uri, batchRows: batchRows, batchAge: 0.5,
                                timeOrigin: Date(timeIntervalSince1970: 1_700_000_000), retryFor: retryFor)
    try await spec.preflight(context: context)
    let stage = try await spec.makeStage(context: context)
    try await stage.run(input: .from(messages, beforeEach: beforeEach), output: .discard)
}

/// Runs `body` with a pool on `url`.
func withDB<R: Sendable>(_ url: DatabaseURL, _ body: (Database) async throws -> R) async throws -> R {
    try await withDatabase(url, logger: TestPostgres.logger, maxConnections: 2, body)
}

extension Database {
    func tableNames() async throws -> Set<String> {
        Set(try await strings("""
            SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
            AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            """))
    }

    func count(_ table: String, where condition: String = "true") async throws -> Int {
        try await scalarInt("SELECT count(*) FROM \(table) WHERE \(condition)")
    }

    func scalarInt(_ sql: String) async throws -> Int {
        let value = try await scalar(sql: sql, doing: "counting")
        guard let n = value.int else { throw VigilError(.database, "expected an integer from \(sql), got \(value)") }
        return n
    }

    /// One text column per row.
    func strings(_ sql: String) async throws -> [String] {
        try await rows(sql: sql, doing: "querying").map { $0.first?.text ?? "" }
    }
}
