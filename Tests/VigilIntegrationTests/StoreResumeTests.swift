import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// `kill -9` of `vigil run` in the middle of a batch run writing to PostgreSQL, then `vigil run --resume`:
/// the rows equal those of an undisturbed run — none missing, none doubled.
@Suite("Store resume (CLI)") struct StoreResumeTests {
    static let binary = CLI.binary.path
    static let sample = RunCLITests.vtest

    static func pipeline(in dir: String, video: String) throws -> String {
        let path = dir + "/store-resume.yaml"
        try """
            sources:
              plaza:
                type: video
                url: \(video)
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
                batch_rows: 200
                batch_age: 100ms
                time_origin: 2024-01-01T00:00:00Z
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func vigil(_ arguments: [String], databaseURL: DatabaseURL) throws -> ChildProcess {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = databaseURL.uri
        return try ChildProcess([binary] + arguments, environment: env, stdout: .discard, stderr: .capture)
    }

    static func psql(_ url: DatabaseURL, _ sql: String) throws -> [String] {
        var env = ProcessInfo.processInfo.environment
        if let password = url.password { env["PGPASSWORD"] = password }
        let result = try ChildProcess.blocking(["/usr/bin/psql", url.libpqString, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                          environment: env, timeout: 60)
        guard result.status == 0 else { throw ChildProcessError("psql failed (\(result.status)): \(result.errors)") }
        return result.output.split(separator: "\n").map(String.init)
    }

    /// Freezes `victim` with SIGSTOP as soon as `due` holds (no race with its progress), then kills it with
    /// SIGKILL. The watching runs on a thread of its own: tests running in parallel can keep the cooperative
    /// pool busy for longer than the victim's run lasts. A victim that ends first is a recorded issue.
    static func freezeAndKill(_ victim: ChildProcess, within seconds: Double, when due: @escaping @Sendable () -> Bool) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                let deadline = Date().addingTimeInterval(seconds)
                while victim.isRunning, Date() < deadline {
                    if due() { victim.signal(SIGSTOP); break }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                done.resume()
            }
        }
        if !victim.isRunning {
            let result = await victim.exited(timeout: 10)
            Issue.record("the run ended (status \(result.status)) before it could be killed: \(result.errors.suffix(2000))")
        }
        victim.signal(SIGKILL)
        await victim.exited(timeout: 30)
    }

    static let dumpSQL = """
        SELECT concat_ws('|', time, frame_index, track_id, class_id, x, y, w, h, score)
        FROM track_points ORDER BY frame_index, track_id
        """

    @Test
    func killNineThenResumeEqualsUndisturbedRun() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-resume-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try Self.pipeline(in: dir, video: Self.sample)

        try await TestPostgres.withFreshDatabase { reference in
            let run = await (try Self.vigil(["run", file], databaseURL: reference)).exited()
            #expect(run.status == 0 && !run.timedOut, "\(run.errors)")
            let expected = try Self.psql(reference, Self.dumpSQL)
            #expect(expected.count > 100, "the reference run wrote too few track points to test anything")

            try await TestPostgres.withFreshDatabase { url in
                let victim = try Self.vigil(["run", file], databaseURL: url)
                // As soon as a batch is committed, freeze the run, then kill it.
                await Self.freezeAndKill(victim, within: 120) {
                    (Int((try? Self.psql(url, "SELECT count(*) FROM track_points").first) ?? "0") ?? 0) > 0
                }
                let partial = Int(try Self.psql(url, "SELECT count(*) FROM track_points").first ?? "0") ?? 0
                #expect(partial > 0 && partial < expected.count)
                #expect(try Self.psql(url, "SELECT status FROM runs") == ["running"])

                let resume = await (try Self.vigil(["run", "--resume", file], databaseURL: url)).exited()
                #expect(resume.status == 0 && !resume.timedOut, "\(resume.errors)")
                let got = try Self.psql(url, Self.dumpSQL)
                #expect(got.count == expected.count)
                #expect(got == expected)
                #expect(try Self.psql(url, "SELECT count(*) || ' ' || status FROM runs GROUP BY status") == ["1 completed"])
            }
        }
    }
}
