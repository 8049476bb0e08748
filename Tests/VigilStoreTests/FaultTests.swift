import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting
import Synchronization

@Suite("Faults") struct FaultTests {
    /// The server crashes (`pg_ctl stop -m immediate`) in the middle of a batch run and comes back two
    /// seconds later while rows keep arriving: the sink retries, keeps its rows, and the result equals an undisturbed run.
    @Test func serverCrashAndRestartMidRunLosesAndDuplicatesNothing() async throws {
        let messages = GeneratedFrames.messages(frames: 3000, tracksPerFrame: 5)
        let cluster = try TestCluster()
        defer { cluster.destroy() }
        let server = try cluster.start()
        let url = server.with(database: "faulty")
        try await EmbeddedPostgres.createDatabase("faulty", on: server.with(database: "postgres"), logger: TestPostgres.logger,
                                                  ifMissing: false)
        let restarted = Mutex(false)
        // Crash at message 1000 and keep feeding the sink (its commits fail and are retried while it
        // buffers); bring the server back at message 2000.
        try await runSink(messages, url: url, batchRows: 1000, retryFor: 60) { i in
            if i == 1000 {
                try cluster.stop(mode: "immediate")
            } else if i == 2000 {
                try await Task.sleep(for: .seconds(1))
                try cluster.start()
                restarted.withLock { $0 = true }
            }
        }
        #expect(restarted.withLock { $0 })
        try await TestPostgres.withFreshDatabase { reference in
            try await runSink(messages, url: reference, batchRows: 1000)
            let expected = try await withDB(reference) { try await SinkTests.dump($0) }
            let got = try await withDB(url) { try await SinkTests.dump($0) }
            #expect(got.count == 15_000)
            #expect(got == expected)
        }
        try await withDB(url) { (db: Database) async throws in
            #expect(try await db.strings("SELECT status FROM runs") == ["completed"])
            #expect(try await db.scalarInt("SELECT sum(points)::int FROM tracks") == 15_000)
        }
    }
}

@Suite("Faults: a server that never comes back") struct GiveUpTests {
    /// The server crashes mid-run and stays down: the sink retries for `retry_for`, then fails the run
    /// with a clear error saying how many rows were not written and how to continue; what was committed
    /// before the crash stays committed.
    @Test func sinkGivesUpAfterRetryForAndKeepsWhatWasCommitted() async throws {
        let messages = GeneratedFrames.messages(frames: 600, tracksPerFrame: 5)
        let cluster = try TestCluster()
        defer { cluster.destroy() }
        let server = try cluster.start()
        let url = server.with(database: "gone")
        try await EmbeddedPostgres.createDatabase("gone", on: server.with(database: "postgres"), logger: TestPostgres.logger,
                                                  ifMissing: false)
        let committedBeforeCrash = Mutex(0)
        let error = await #expect(throws: VigilError.self) {
            try await runSink(messages, url: url, batchRows: 500, retryFor: 2) { i in
                if i == 300 {
                    // Wait until the committer has committed the three full batches fed so far (a fixed
                    // sleep raced a commit still in flight on a loaded machine), then crash for good.
                    let clock = ContinuousClock(), deadline = clock.now + .seconds(60)
                    var rows = 0
                    while rows < 1500, clock.now < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                        rows = try await withDB(url) { try await $0.count("track_points") }
                    }
                    committedBeforeCrash.withLock { $0 = rows }
                    try cluster.stop(mode: "immediate")
                }
            }
        }
        #expect(error?.message.contains("gave up after retrying") == true, "\(String(describing: error))")
        #expect(error?.message.contains("--resume") == true)
        let before = committedBeforeCrash.withLock { $0 }
        #expect(before == 1500, "the three batches fed before the crash were committed")
        try cluster.start()
        let after = try await withDB(url) { try await $0.count("track_points") }
        #expect(after == before, "rows committed before the crash must stay, and nothing after it was written")
    }
}
