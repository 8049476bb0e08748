import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import VigilCore
import VigilJobs
import VigilStore
import VigilTesting

/// Schedules fired by the leader of two workers sharing a database, on an injected clock; footage
/// folders with `new_only` through a real `vigil worker`.
@Suite("Schedules") struct ScheduleTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        private let current: Mutex<Date>
        init(_ start: Date) { current = Mutex(start) }
        var now: Date { current.withLock { $0 } }
        func set(_ date: Date) { current.withLock { $0 = date } }
    }

    /// Records which jobs it ran (the pipeline executor is exercised by the process tests).
    final class RecordingExecutor: JobExecutor {
        let ran = Mutex<[String]>([])
        func execute(_ job: ClaimedJob, control: JobControl) async throws -> String? {
            let arguments = try JSONDecoder().decode(RunJobArguments.self, from: Data(job.job.arguments.utf8))
            ran.withLock { $0.append(arguments.firedAt ?? "?") }
            return nil
        }
    }

    func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    /// The recordings a folder job's result says it processed.
    func files(_ job: Job) -> [String]? {
        guard let text = job.result, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        return object["files"] as? [String]
    }

    @Test func twoWorkersFireEachTimeOnce() async throws {
        try await TestPostgres.withFreshDatabase { url in
            try await withDatabase(url, logger: TestPostgres.logger, maxConnections: 6) { db in
                try await Migrator(database: db).migrate()
                let queue = JobQueue(database: db)
                let clock = TestClock(date("2024-01-01T09:59:00Z"))
                let schedule = ScheduledJob(name: "jobs/nightly.yaml", cron: try CronSchedule("0 */2 * * *"),
                                            timeZone: TimeZone(identifier: "UTC")!, missed: .skip,
                                            arguments: RunJobArguments(file: "jobs/nightly.yaml"))
                let executor = RecordingExecutor()
                let workers = (1...2).map { i in
                    Worker(queue: queue, executor: executor,
                           configuration: WorkerConfiguration(name: "w\(i)", concurrency: 1, capacityCameras: 0, lease: 3,
                                                              heartbeat: 0.2, poll: 0.5),
                           schedules: ScheduleKeeper(queue: queue, grace: 300, now: { clock.now }, logger: TestPostgres.logger) {
                               [schedule]
                           },
                           logger: TestPostgres.logger)
                }
                let tasks = workers.map { worker in Task { try await worker.run() } }
                // First sight: counting starts at 09:59; nothing fires.
                try await WorkerFixture.waitFor("the schedule to be registered") {
                    try await db.rows(sql: "SELECT 1 FROM job_schedules", doing: "schedules").count == 1
                }
                // 10:00 fires once; so do 12:00 and 14:00, each once, by whichever worker leads.
                for (i, time) in ["2024-01-01T10:00:30Z", "2024-01-01T12:01:00Z", "2024-01-01T14:00:00Z"].enumerated() {
                    clock.set(date(time))
                    try await WorkerFixture.waitFor("fire \(i + 1)") { executor.ran.withLock { $0.count } == i + 1 }
                    try await Task.sleep(for: .milliseconds(800))  // several leader ticks: no second job
                    #expect(executor.ran.withLock { $0.count } == i + 1)
                }
                #expect(executor.ran.withLock { $0 } == ["2024-01-01T10:00:00Z", "2024-01-01T12:00:00Z", "2024-01-01T14:00:00Z"])
                // Down for a day with `skip`: the missed fire times do not run, the next one does.
                clock.set(date("2024-01-02T16:00:10Z"))
                try await WorkerFixture.waitFor("the fire after the gap") { executor.ran.withLock { $0.count } == 4 }
                try await Task.sleep(for: .milliseconds(800))
                #expect(executor.ran.withLock { $0.last } == "2024-01-02T16:00:00Z")
                #expect(executor.ran.withLock { $0.count } == 4)
                let jobs = try await queue.list()
                #expect(jobs.count == 4 && jobs.allSatisfy { $0.state == .completed })
                for worker in workers { worker.beginStopping() }
                for task in tasks { try await task.value }
            }
        }
    }

    @Test func catchUpRunsEveryMissedFire() async throws {
        try await TestPostgres.withFreshDatabase { url in
            try await withDatabase(url, logger: TestPostgres.logger, maxConnections: 2) { db in
                try await Migrator(database: db).migrate()
                let queue = JobQueue(database: db)
                let clock = TestClock(date("2024-01-01T00:30:00Z"))
                let schedule = ScheduledJob(name: "hourly", cron: try CronSchedule("@hourly"), timeZone: TimeZone(identifier: "UTC")!,
                                            missed: .catchUp, arguments: RunJobArguments(file: "x.yaml"))
                let keeper = ScheduleKeeper(queue: queue, now: { clock.now }, logger: TestPostgres.logger) { [schedule] }
                #expect(try await keeper.fire().isEmpty)
                clock.set(date("2024-01-01T05:10:00Z"))
                #expect(try await keeper.fire().count == 5)   // 01:00 ... 05:00
                #expect(try await keeper.fire().isEmpty)
                let keys = try await queue.list().compactMap(\.uniqueKey).sorted()
                #expect(keys.first == "schedule:hourly:2024-01-01T01:00:00Z" && keys.last == "schedule:hourly:2024-01-01T05:00:00Z")
            }
        }
    }

    @Test func aNewRecordingIsProcessedByTheNextRunAndNeverAgain() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            try fixture.addRecording(0)
            try """
                pipeline: tracking.yaml
                inputs:
                  plaza:
                    files: footage/*.avi
                    new_only: true
                to: 2s
                """.write(toFile: fixture.directory + "/folder-job.yaml", atomically: true, encoding: .utf8)
            let worker = try fixture.startWorker("w")
            try await fixture.withDatabase { db in
                try await Migrator(database: db).migrate()
                let queue = JobQueue(database: db)
                func submitAndWait() async throws -> Job {
                    let submit = try await fixture.vigil(["jobs", "submit", "folder-job.yaml"])
                    #expect(submit.status == 0, "\(submit.errors)")
                    let id = try #require(Int(submit.output.trimmingCharacters(in: .whitespacesAndNewlines)))
                    try await WorkerFixture.waitFor("job \(id)") { try await queue.job(id: id)?.state.isFinished == true }
                    return try #require(try await queue.job(id: id))
                }
                let first = try await submitAndWait()
                #expect(first.state == .completed, "\(first.errors)")
                #expect(files(first) == ["footage/cam00.avi"])
                try fixture.addRecording(1)
                let second = try await submitAndWait()
                #expect(second.state == .completed)
                #expect(files(second) == ["footage/cam01.avi"])
                let third = try await submitAndWait()
                #expect(files(third) == [], "\(third.result ?? "")")
                let processed = try await db.rows(sql: "SELECT path FROM processed_inputs ORDER BY path", doing: "processed")
                #expect(processed.map { $0[0].text } == ["footage/cam00.avi", "footage/cam01.avi"])
                let runs = try await db.rows(sql: "SELECT count(*)::int8 FROM runs", doing: "runs")
                #expect(runs.first?[0].int == 2)
                // A replaced file (new content) is processed again.
                try FileManager.default.removeItem(atPath: fixture.directory + "/footage/cam01.avi")
                try FileManager.default.copyItem(atPath: WorkerFixture.vtest, toPath: fixture.directory + "/footage/cam01.avi")
                let handle = try #require(FileHandle(forWritingAtPath: fixture.directory + "/footage/cam01.avi"))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data([0]))
                try handle.close()
                let fourth = try await submitAndWait()
                #expect(files(fourth) == ["footage/cam01.avi"])
            }
            _ = await WorkerFixture.stop([worker])
        }
    }
}
