import Foundation
import Logging
import Synchronization
import Testing
import VigilCore
import VigilJobs
import VigilStore
import VigilTesting

/// A folder with a pipeline writing to a test database and copies of samples/vtest.avi, real
/// `vigil worker` processes started in it, and queries of what they wrote.
final class WorkerFixture: Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let vtest = packageRoot.appendingPathComponent("samples/vtest.avi").path

    static var binary: String {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigil")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/vigil").path
    }

    let directory: String
    let url: DatabaseURL

    init(url: DatabaseURL) throws {
        self.url = url
        directory = FileManager.default.temporaryDirectory.path + "/vigil-jobs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/footage", withIntermediateDirectories: true)
        // Motion detection and tracking: cheap, deterministic; a fixed time origin makes every run's rows
        // comparable; small batches give a run many commits to be interrupted between.
        try """
            sources:
              plaza:
                type: video
                url: footage/cam00.avi
            stages:
              moving:
                type: detect
                inputs: [plaza]
                kind: motion
              tracks:
                type: track
                inputs: [moving]
            sinks:
              db:
                type: postgres
                inputs: [tracks]
                url: \(url.uri)
                batch_rows: 100
                batch_age: 100ms
                time_origin: 2024-01-01T00:00:00Z
            """.write(toFile: directory + "/tracking.yaml", atomically: true, encoding: .utf8)
    }

    /// Every worker started here: one a failing test did not stop is killed with the fixture, so no worker
    /// outlives its test (and keeps polling a database that is gone).
    private let workers = Mutex<[ChildProcess]>([])

    deinit {
        for worker in workers.withLock({ $0 }) where worker.isRunning { worker.signal(SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `footage/camNN.avi`: a copy of vtest.avi (a hard link where possible).
    @discardableResult
    func addRecording(_ index: Int, name: String? = nil) throws -> String {
        let path = directory + "/footage/" + (name ?? String(format: "cam%02d.avi", index))
        if (try? FileManager.default.linkItem(atPath: Self.vtest, toPath: path)) == nil {
            try FileManager.default.copyItem(atPath: Self.vtest, toPath: path)
        }
        return path
    }

    /// Starts `vigil worker` with short leases (3 s, renewed every 0.5 s).
    func startWorker(_ name: String, extra: [String] = []) throws -> ChildProcess {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = url.uri
        let worker = try ChildProcess([Self.binary, "worker", "--name", name, "--heartbeat", "0.5", "--lease", "3", "--poll", "1",
                                       "--capacity-cameras", "0", "--jobs-dir", "no-schedules", "--log-level", "info"] + extra,
                                      environment: env, directory: directory, stdout: .discard, stderr: .capture)
        workers.withLock { $0.append(worker) }
        return worker
    }

    func vigil(_ arguments: [String]) async throws -> ChildProcess.Result {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = url.uri
        return await (try ChildProcess([Self.binary] + arguments, environment: env, directory: directory)).exited(timeout: 300)
    }

    /// Runs `body` with a pool on the test database.
    func withDatabase<R: Sendable>(_ body: (Database) async throws -> R) async throws -> R {
        try await VigilStore.withDatabase(url, logger: TestPostgres.logger, maxConnections: 2, body)
    }

    /// A run job over `footage/camNN.avi`.
    func runJob(_ index: Int, to: String? = nil, maxAttempts: Int = 5) -> NewJob {
        let arguments = RunJobArguments(file: "tracking.yaml", inputs: ["plaza": String(format: "footage/cam%02d.avi", index)], to: to)
        return NewJob(kind: .run, arguments: String(decoding: try! JSONEncoder().encode(arguments), as: UTF8.self),
                      maxAttempts: maxAttempts)
    }

    /// Starts worker `name`, enqueues a run over `footage/cam00.avi` and returns once the run has committed
    /// `batches` batches: the job is under way, held by that worker.
    ///
    /// With `holdingCommits`, the worker's commit of the next batch waits at a gate (a trigger on `runs`)
    /// until ``openCommitGate(_:)``: the job cannot finish before the test acts on it, however fast the
    /// pipeline or slow the machine.
    func startJobUnderWay(worker name: String, batches: Int, holdingCommits: Bool = false,
                          database db: Database) async throws -> (ChildProcess, Job) {
        try addRecording(0)
        let worker = try startWorker(name)
        try await Migrator(database: db).migrate()
        if holdingCommits { try await closeCommitGate(after: batches, db) }
        let job = try await JobQueue(database: db).enqueue(runJob(0)).job
        try await Self.waitFor("\(batches) committed batches") {
            (try await db.query("SELECT 1 FROM runs WHERE last_batch >= $1::int8", binding: [.int(batches)],
                                doing: "progress")).count == 1
        }
        return (worker, job)
    }

    /// A commit that would raise a run's `last_batch` above `batches` waits (polling, in its transaction,
    /// before its rows are written) while the gate is closed. Each statement sees the gate anew.
    private func closeCommitGate(after batches: Int, _ db: Database) async throws {
        for statement in [
            "CREATE TABLE test_commit_gate (closed boolean NOT NULL)",
            "INSERT INTO test_commit_gate VALUES (true)",
            """
            CREATE FUNCTION test_hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                WHILE (SELECT closed FROM test_commit_gate) LOOP PERFORM pg_sleep(0.05); END LOOP;
                RETURN NEW;
            END $$
            """,
            """
            CREATE TRIGGER test_hold_commit BEFORE UPDATE OF last_batch ON runs
            FOR EACH ROW WHEN (NEW.last_batch > \(batches)) EXECUTE FUNCTION test_hold_commit()
            """,
        ] { try await db.execute(sql: statement, doing: "closing the commit gate") }
    }

    /// Waits until the worker's next commit is held at the gate (a backend waiting in its `UPDATE runs`):
    /// a signal sent before that could stop the worker before it sends the commit at all.
    func waitForHeldCommit(_ db: Database) async throws {
        try await Self.waitFor("a commit held at the gate") {
            (try await db.scalar(sql: "SELECT count(*)::int8 FROM pg_stat_activity WHERE \(Self.heldCommit)",
                                 doing: "looking for the held commit")).int ?? 0 > 0
        }
    }

    /// Ends the paused worker's connections that are in the middle of something (as a network partition
    /// would): the held commit and any other open transaction are rolled back and release the rows they
    /// locked (the job row the commit holds a share lock on). The test's own connections are idle.
    func cutHeldCommit(_ db: Database) async throws {
        let held = try await db.scalar(sql: "SELECT count(*)::int8 FROM pg_stat_activity WHERE \(Self.heldCommit)",
                                       doing: "finding the held commit")
        #expect(held.int == 1, "no commit was held at the gate to cut")
        _ = try await db.scalar(sql: """
            SELECT count(*)::int8 FROM (SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
                WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = 'client backend'
                  AND state IS DISTINCT FROM 'idle') busy
            WHERE cut
            """, doing: "cutting the paused worker's busy connections")
    }

    private static let heldCommit = "query LIKE 'UPDATE runs SET last_batch%' AND state = 'active' AND pid <> pg_backend_pid()"

    /// Lets held commits go on, and later ones pass the gate. (The trigger stays: dropping it would wait
    /// for the held transaction's lock on `runs`.)
    func openCommitGate(_ db: Database) async throws {
        try await db.execute(sql: "UPDATE test_commit_gate SET closed = false", doing: "opening the commit gate")
    }

    /// Track points of every run, by input: `media time|frame|track|box`, in frame and track order.
    static func trackPoints(_ database: Database) async throws -> [String: [String]] {
        let rows = try await database.rows(sql: """
            SELECT r.inputs_key, concat_ws('|', tp.time, tp.frame_index, tp.track_id, tp.x, tp.y, tp.w, tp.h)
            FROM track_points tp JOIN runs r ON r.id = tp.run_id
            ORDER BY r.inputs_key, tp.frame_index, tp.track_id
            """, doing: "reading track points")
        var out: [String: [String]] = [:]
        for row in rows {
            // The inputs key names the recording (`plaza=footage/camNN.avi`, plus the window).
            let key = (row[0].text ?? "").split(separator: "\n").first { $0.hasPrefix("plaza=") }.map(String.init) ?? ""
            out[key, default: []].append(row[1].text ?? "")
        }
        return out
    }

    /// Waits until `condition` holds, polling the database (fails the test after `timeout` seconds).
    static func waitFor(_ what: String, timeout: Double = 240, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out after \(Int(timeout)) s waiting for \(what)")
        throw ChildProcessError("timed out waiting for \(what)")
    }

    /// Stops workers with SIGTERM (SIGKILL after 60 s) and returns their logs.
    static func stop(_ workers: [ChildProcess]) async -> [String] {
        for worker in workers { worker.signal(SIGTERM) }
        var logs: [String] = []
        for worker in workers { logs.append((await worker.exited(timeout: 60)).errors) }
        return logs
    }
}
