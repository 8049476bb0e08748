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

    static func vigil(_ arguments: [String], databaseURL: DatabaseURL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = databaseURL.uri
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func psql(_ url: DatabaseURL, _ sql: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url.libpqString, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql]
        var env = ProcessInfo.processInfo.environment
        if let password = url.password { env["PGPASSWORD"] = password }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
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
            let run = try Self.vigil(["run", file], databaseURL: reference)
            run.waitUntilExit()
            #expect(run.terminationStatus == 0)
            let expected = try Self.psql(reference, Self.dumpSQL)
            #expect(expected.count > 100, "the reference run wrote too few track points to test anything")

            try await TestPostgres.withFreshDatabase { url in
                let victim = try Self.vigil(["run", file], databaseURL: url)
                // Wait until some batches are committed, then kill -9 mid-run.
                var written = 0
                let deadline = Date().addingTimeInterval(120)
                while victim.isRunning, Date() < deadline {
                    written = Int((try? Self.psql(url, "SELECT count(*) FROM track_points").first) ?? "0") ?? 0
                    if written >= expected.count / 3 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(victim.isRunning, "the run finished before it could be killed; use a longer input")
                kill(victim.processIdentifier, SIGKILL)
                victim.waitUntilExit()
                let partial = Int(try Self.psql(url, "SELECT count(*) FROM track_points").first ?? "0") ?? 0
                #expect(partial > 0 && partial < expected.count)
                #expect(try Self.psql(url, "SELECT status FROM runs") == ["running"])

                let resume = try Self.vigil(["run", "--resume", file], databaseURL: url)
                resume.waitUntilExit()
                #expect(resume.terminationStatus == 0)
                let got = try Self.psql(url, Self.dumpSQL)
                #expect(got.count == expected.count)
                #expect(got == expected)
                #expect(try Self.psql(url, "SELECT count(*) || ' ' || status FROM runs GROUP BY status") == ["1 completed"])
            }
        }
    }
}
