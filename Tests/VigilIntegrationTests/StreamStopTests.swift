import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// SIGINT of `vigil run --mode stream` with a `postgres` sink: the sink drains, and the run is recorded as
/// ended. (postgres-nio's pool used to shut down at the signal, before the sink recorded the end: the run
/// stayed `running` and the command printed a pool error.)
@Suite("Stream stop (CLI)") struct StreamStopTests {
    @Test func sigintRecordsTheEndOfALiveRun() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await TestPostgres.withFreshDatabase { url in
            let file = dir.appendingPathComponent("live.yaml").path
            try """
                sources:
                  cam:
                    type: video
                    url: \(RunCLITests.vtest)
                    loop: true
                stages:
                  moving:
                    type: detect
                    inputs: [cam]
                    kind: motion
                  tracks:
                    type: track
                    inputs: [moving]
                sinks:
                  db:
                    type: postgres
                    inputs: [tracks]
                    url: \(url.uri)
                    batch_age: 100ms
                """.write(toFile: file, atomically: true, encoding: .utf8)
            let run = try CLI.start(["run", file, "--mode", "stream", "--quiet"])
            try await withDatabase(url, logger: TestPostgres.logger, maxConnections: 1) { db in
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline {
                    let rows = try? await db.rows(sql: "SELECT frames FROM runs", doing: "progress")
                    if (rows?.first?[0].int ?? 0) > 10 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                run.signal(SIGINT)
                let result = await run.exited(timeout: 60)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(!result.stderr.contains("poolShutdown"), "\(result.stderr)")
                let status = try await db.rows(sql: "SELECT status FROM runs", doing: "status")
                #expect(status.map { $0[0].text } == ["completed"])
            }
        }
    }
}
