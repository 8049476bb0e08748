import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore
import VigilTesting

/// Several real `vigil worker` processes on one real PostgreSQL: jobs complete exactly once, a killed
/// worker's job is rescued, a paused worker that lost its lease cannot write (fencing).
@Suite("Workers (processes)", .serialized) struct WorkerProcessTests {
    /// Rows of one undisturbed `vigil run` of a recording (every copy of vtest.avi gives these).
    static func reference(window to: String?) async throws -> [String] {
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            try fixture.addRecording(0)
            let run = try await fixture.vigil(["run", "tracking.yaml", "--quiet"] + (to.map { ["--to", $0] } ?? []))
            #expect(run.status == 0, "\(run.errors)")
            let rows = try await fixture.withDatabase { try await WorkerFixture.trackPoints($0) }
            let only = try #require(rows.values.first)
            #expect(only.count > 20, "the reference run wrote too few track points to compare anything")
            return only
        }
    }

    @Test func threeWorkersRunTwelveJobsExactlyOnce() async throws {
        let expected = try await Self.reference(window: "4s")
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            for i in 0..<12 { try fixture.addRecording(i) }
            let workers = try (1...3).map { try fixture.startWorker("w\($0)") }
            try await fixture.withDatabase { db in
                try await Migrator(database: db).migrate()
                let queue = JobQueue(database: db)
                for i in 0..<12 { try await queue.enqueue(fixture.runJob(i, to: "4s")) }
                try await WorkerFixture.waitFor("12 completed jobs") {
                    let counts = try await queue.counts()
                    if counts[.failed] != nil {
                        let failed = try await queue.list(state: .failed)
                        Issue.record("a job failed: \(failed.map(\.errors))")
                        return true
                    }
                    return counts[.completed] == 12
                }
                let jobs = try await queue.list(limit: 100)
                // (A worker starved past its 3 s lease on a loaded machine may lose a job to another: then that
                // job has a second attempt, and its rows must still be those of one undisturbed run.)
                #expect(jobs.allSatisfy { $0.state == .completed })
                #expect(Set(jobs.compactMap { $0.result == nil ? nil : $0.id }).count == 12)
                let rows = try await WorkerFixture.trackPoints(db)
                #expect(rows.count == 12)
                for (input, points) in rows { #expect(points == expected, "\(input): \(points.count) rows, expected \(expected.count)") }
                let runs = try await db.rows(sql: "SELECT count(*)::int8, count(DISTINCT job_id)::int8 FROM runs", doing: "runs")
                #expect(runs.first?[0].int == 12 && runs.first?[1].int == 12)
            }
            let logs = await WorkerFixture.stop(workers)
            // The work was shared: at least two workers claimed jobs.
            #expect(logs.filter { $0.contains("job claimed") }.count >= 2, "\(logs.map { $0.suffix(500) })")
        }
    }

    @Test func killedWorkersJobIsRescuedAndCompletesWithoutLossOrDuplicates() async throws {
        let expected = try await Self.reference(window: nil)
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            try await fixture.withDatabase { db in
                let queue = JobQueue(database: db)
                let (victim, job) = try await fixture.startJobUnderWay(worker: "victim", batches: 2, holdingCommits: true, database: db)
                try await fixture.waitForHeldCommit(db)
                victim.signal(SIGKILL)
                _ = await victim.exited(timeout: 30)
                // Its held commit goes on in a backend whose client is gone: it is rolled back.
                try await fixture.openCommitGate(db)
                let partial = try await WorkerFixture.trackPoints(db).values.first?.count ?? 0
                #expect(partial > 0 && partial < expected.count, "kill -9 came too late to interrupt anything")

                let rescuer = try fixture.startWorker("rescuer")
                try await WorkerFixture.waitFor("the rescued job to complete") {
                    try await queue.job(id: job.id)?.state == .completed
                }
                let done = try #require(try await queue.job(id: job.id))
                #expect(done.attempt >= 2)
                #expect(done.errors.contains("lease expired"))
                #expect(done.leaseEpoch >= 3)  // claimed, rescued, claimed again
                let rows = try await WorkerFixture.trackPoints(db)
                #expect(rows.count == 1)
                #expect(rows.values.first == expected)
                _ = await WorkerFixture.stop([rescuer])
            }
        }
    }

    @Test func pausedWorkerThatLostItsLeaseCannotCommit() async throws {
        let expected = try await Self.reference(window: nil)
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            try await fixture.withDatabase { db in
                let queue = JobQueue(database: db)
                let (zombie, job) = try await fixture.startJobUnderWay(worker: "zombie", batches: 2, holdingCommits: true, database: db)
                // Paused in the middle of a commit, whose connection is then lost: the job cannot finish
                // before the pause, and the zombie holds no lock the rescue would wait for.
                try await fixture.waitForHeldCommit(db)
                zombie.signal(SIGSTOP)
                try await fixture.cutHeldCommit(db)
                try await fixture.openCommitGate(db)
                let other = try fixture.startWorker("other")
                // The zombie's lease expires, the leader (the other worker) rescues the job, the other claims it.
                try await WorkerFixture.waitFor("the job to pass to the other worker") {
                    try await queue.job(id: job.id)?.leasedBy == "other"
                }
                zombie.signal(SIGCONT)
                try await WorkerFixture.waitFor("the job to complete") { try await queue.job(id: job.id)?.state == .completed }
                let zombieLog = (await WorkerFixture.stop([zombie, other]))[0]
                #expect(zombieLog.contains("job lost"), "\(zombieLog.suffix(3000))")
                // Its pipeline's next commit presented the old epoch and was refused.
                #expect(zombieLog.contains(RunStore.leaseLostPhrase), "\(zombieLog.suffix(3000))")
                let done = try #require(try await queue.job(id: job.id))
                #expect(done.leasedBy == nil && done.attempt >= 2)
                let rows = try await WorkerFixture.trackPoints(db)
                #expect(rows.values.first == expected)
                // Nothing the zombie did after waking changed the run: it is complete and written once.
                let runs = try await db.rows(sql: "SELECT status FROM runs", doing: "runs")
                #expect(runs.map { $0[0].text } == ["completed"])
            }
        }
    }

    @Test func cancellingARunningJobStopsItsPipeline() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            try await fixture.withDatabase { db in
                let queue = JobQueue(database: db)
                let (worker, job) = try await fixture.startJobUnderWay(worker: "w", batches: 1, database: db)
                let cancel = try await fixture.vigil(["jobs", "cancel", "\(job.id)"])
                #expect(cancel.status == 0, "\(cancel.errors)")
                #expect(cancel.output.contains("cancel requested"))
                try await WorkerFixture.waitFor("the job to end") { try await queue.job(id: job.id)?.state.isFinished == true }
                let done = try #require(try await queue.job(id: job.id))
                #expect(done.state == .cancelled)
                let frames = try await db.rows(sql: "SELECT frames FROM runs", doing: "runs").first?[0].int ?? 0
                #expect(frames > 0 && frames < 795, "the pipeline was not stopped early (\(frames) frames)")
                // The worker is free again and takes the next job.
                let next = try await queue.enqueue(fixture.runJob(0, to: "1s")).job
                try await WorkerFixture.waitFor("the next job") { try await queue.job(id: next.id)?.state == .completed }
                _ = await WorkerFixture.stop([worker])
            }
        }
    }

    @Test func sigtermHandsRunningJobsBackAndTheNextWorkerResumes() async throws {
        let expected = try await Self.reference(window: nil)
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            try await fixture.withDatabase { db in
                let queue = JobQueue(database: db)
                let (first, job) = try await fixture.startJobUnderWay(worker: "first", batches: 1, database: db)
                first.signal(SIGTERM)
                let result = await first.exited(timeout: 60)
                #expect(result.status == 0, "\(result.errors.suffix(2000))")
                let handed = try #require(try await queue.job(id: job.id))
                #expect(handed.state == .available && handed.leasedBy == nil, "\(handed.state)")
                let second = try fixture.startWorker("second")
                try await WorkerFixture.waitFor("the job to complete") { try await queue.job(id: job.id)?.state == .completed }
                #expect(try await WorkerFixture.trackPoints(db).values.first == expected)
                let workers = try await queue.workers()
                #expect(workers.map(\.name) == ["second"], "the stopped worker unregisters")
                _ = await WorkerFixture.stop([second])
            }
        }
    }

    @Test func serveRunsJobsWithItsEmbeddedWorkerUnlessToldNot() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            try fixture.addRecording(0)
            func serve(_ extra: [String]) throws -> ChildProcess {
                var env = ProcessInfo.processInfo.environment
                env["VIGIL_JWT_SECRET"] = String(repeating: "s", count: 40)
                return try ChildProcess([WorkerFixture.binary, "serve", "--port", "0", "--database-url", url.uri, "--log-level", "warning",
                                         "--heartbeat", "0.5", "--lease", "3", "--poll", "1", "--jobs-dir", "none"] + extra,
                                        environment: env, directory: fixture.directory, stdout: .discard, stderr: .capture)
            }
            try await fixture.withDatabase { db in
                try await Migrator(database: db).migrate()
                let queue = JobQueue(database: db)
                let alone = try serve(["--no-worker"])
                let job = try await queue.enqueue(fixture.runJob(0, to: "1s")).job
                try await Task.sleep(for: .seconds(3))
                #expect(try await queue.job(id: job.id)?.state == .available, "a --no-worker server took a job")
                #expect(try await queue.workers().isEmpty)
                alone.signal(SIGTERM)
                #expect(await alone.exited(timeout: 60).status == 0)

                let server = try serve(["--name", "embedded"])
                try await WorkerFixture.waitFor("the embedded worker to run the job") {
                    try await queue.job(id: job.id)?.state == .completed
                }
                #expect(try await queue.workers().map(\.name) == ["embedded"])
                server.signal(SIGTERM)
                let result = await server.exited(timeout: 60)
                #expect(result.status == 0, "\(result.errors.suffix(2000))")
                #expect(try await queue.workers().isEmpty, "a stopped server unregisters its worker")
            }
        }
    }
}
