import Foundation
import Testing
import VigilStore
import VigilTesting

/// Batch jobs over recorded footage, through `vigil run` and a real PostgreSQL: rows get the time the
/// file was recorded (its name, its container's `creation_time`), and a recording cut short is
/// processed up to its end and recorded as `truncated`.
@Suite("Recorded footage (CLI)") struct FootageCLITests {
    /// A motion + track pipeline into PostgreSQL and a CSV file, whose sinks declare a time origin the job
    /// must override.
    static func pipeline(in dir: String) throws -> String {
        let path = dir + "/footage.yaml"
        try """
            sources:
              plaza:
                type: video
                url: /nonexistent.avi
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
                time_origin: 2030-01-01T00:00:00Z
              points:
                type: export
                inputs: [tracks]
                path: \(dir)/points.csv
                time_origin: 2030-01-01T00:00:00Z
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A job in `dir/jobs/` running the pipeline over `video` with `settings`.
    static func job(in dir: String, video: String, _ settings: String, name: String = "job") throws -> String {
        _ = try pipeline(in: dir)
        try FileManager.default.createDirectory(atPath: dir + "/jobs", withIntermediateDirectories: true)
        let path = dir + "/jobs/\(name).yaml"
        try "pipeline: ../footage.yaml\ninputs:\n  plaza: \(video)\n\(settings)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-footage-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func ffmpeg(_ arguments: [String]) async throws {
        let result = try await ChildProcess.run(["ffmpeg", "-v", "error", "-nostdin", "-y"] + arguments, timeout: 120)
        guard result.status == 0 else { throw ChildProcessError("ffmpeg failed (\(result.status)): \(result.errors)") }
    }

    static func psql(_ url: DatabaseURL, _ sql: String) throws -> [String] { try StoreResumeTests.psql(url, sql) }

    /// Each partition holding the run's track points, then whether every row's time is the origin plus its media time.
    static func placement(_ url: DatabaseURL, origin: String) throws -> [String] {
        try psql(url, "SELECT DISTINCT tableoid::regclass::text FROM track_points ORDER BY 1") + psql(url, """
            SELECT count(*) > 100 AND bool_and(abs(extract(epoch FROM time - '\(origin)'::timestamptz) - media_time) < 1e-6)
              AND min(time) >= '\(origin)'::timestamptz
              AND min(time) < '\(origin)'::timestamptz + interval '1 second' + make_interval(secs => min(media_time))
            FROM track_points
            """)
    }

    @Test("a copy of vtest.avi named 20240101_103005.avi with time_from_name: rows in the 2024-01-01 partition from 10:30:05")
    func timeFromTheFileName() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let video = dir + "/20240101_103005.avi"
        try FileManager.default.copyItem(atPath: RunCLITests.vtest, toPath: video)
        let job = try Self.job(in: dir, video: video, "to: 30s\ntime_from_name: \"%Y%m%d_%H%M%S\"")
        try await TestPostgres.withFreshDatabase { url in
            let run = await (try StoreResumeTests.vigil(["run", job], databaseURL: url)).exited()
            #expect(run.status == 0 && !run.timedOut, "\(run.errors)")
            #expect(try Self.placement(url, origin: "2024-01-01 10:30:05+00") == ["track_points_p20240101", "t"])
            #expect(try Self.psql(url, "SELECT status || ' ' || (time_origins ->> 'plaza')::timestamptz AT TIME ZONE 'UTC' FROM runs")
                    == ["completed 2024-01-01 10:30:05"])
            // The export sink writes the same times as the database.
            let csv = try String(contentsOfFile: dir + "/points.csv", encoding: .utf8).split(separator: "\r\n")
            let first = try Self.psql(url, """
                SELECT to_char(min(time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM track_points
                """)
            #expect(csv.count > 100 && csv.dropFirst().map { String($0.prefix(24)) }.min() == first.first, "\(csv.prefix(2))")
        }
    }

    @Test("a file whose container says creation_time=2023-06-01T08:00:00Z, with time_origin: recorded")
    func timeFromTheContainer() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let video = dir + "/clip.mp4"
        try await Self.ffmpeg(["-i", RunCLITests.vtest, "-t", "30", "-c:v", "libx264", "-preset", "ultrafast",
                         "-metadata", "creation_time=2023-06-01T08:00:00Z", video])
        let job = try Self.job(in: dir, video: video, "time_origin: recorded")
        try await TestPostgres.withFreshDatabase { url in
            let run = await (try StoreResumeTests.vigil(["run", job], databaseURL: url)).exited()
            #expect(run.status == 0 && !run.timedOut, "\(run.errors)")
            #expect(try Self.placement(url, origin: "2023-06-01 08:00:00+00") == ["track_points_p20230601", "t"])
        }
    }

    @Test("a job whose file names do not match its pattern, or whose file has no creation_time, stops before running")
    func unknownRecordedTime() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let named = try Self.job(in: dir, video: RunCLITests.vtest, "time_from_name: \"%Y%m%d_%H%M%S\"", name: "named")
        let untagged = try Self.job(in: dir, video: RunCLITests.vtest, "time_origin: recorded", name: "untagged")
        try await TestPostgres.withFreshDatabase { url in
            let byName = await (try StoreResumeTests.vigil(["run", named], databaseURL: url)).exited()
            #expect(byName.status != 0 && !byName.timedOut)
            #expect(byName.errors.contains("\(RunCLITests.vtest): the file name 'vtest.avi' does not match time_from_name '%Y%m%d_%H%M%S'"),
                    "\(byName.errors)")
            let byTag = await (try StoreResumeTests.vigil(["run", untagged], databaseURL: url)).exited()
            #expect(byTag.status != 0 && !byTag.timedOut)
            #expect(byTag.errors.contains("\(RunCLITests.vtest): no creation_time in its container"), "\(byTag.errors)")
            // Nothing ran: the database was not even migrated.
            #expect(try Self.psql(url, "SELECT to_regclass('runs') IS NULL") == ["t"])
        }
    }

    @Test("a recording cut at 60% completes as truncated with its rows and frame count; with on_truncated: fail the run fails, rows stay")
    func truncatedRecording() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let whole = dir + "/whole.mp4", cut = dir + "/20240101_103005.mp4"
        try await Self.ffmpeg(["-i", RunCLITests.vtest, "-t", "40", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart", whole])
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: whole))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        try handle.read(upToCount: Int(size) * 6 / 10)!.write(to: URL(fileURLWithPath: cut))
        try handle.close()
        let completing = try Self.job(in: dir, video: cut, "time_from_name: \"%Y%m%d_%H%M%S\"", name: "complete")
        let failing = try Self.job(in: dir, video: cut, "time_from_name: \"%Y%m%d_%H%M%S\"\non_truncated: fail", name: "fail")
        try await TestPostgres.withFreshDatabase { url in
            let run = await (try StoreResumeTests.vigil(["run", completing], databaseURL: url)).exited()
            #expect(run.status == 0 && !run.timedOut, "\(run.errors)")
            let said = try #require(run.errors.firstMatch(of: /plaza: truncated after (\d+) frames \(of 400 declared\)/),
                                    "\(run.errors)")
            let frames = Int(said.1)!
            #expect(frames > 100 && frames < 350)
            #expect(run.errors.contains("footage: truncated in "), "\(run.errors)")
            #expect(try Self.psql(url, "SELECT status || ' ' || frames || ' ' || error FROM runs")
                    == ["truncated \(frames) plaza: truncated after \(frames) frames (of 400 declared): \(cut)"])
            let rows = Int(try Self.psql(url, "SELECT count(*) FROM track_points").first ?? "0") ?? 0
            #expect(rows > 100)
            #expect(try Self.placement(url, origin: "2024-01-01 10:30:05+00") == ["track_points_p20240101", "t"])

            // The same job with on_truncated: fail (it replaces the run above): the run fails, its rows stay.
            let failed = await (try StoreResumeTests.vigil(["run", failing], databaseURL: url)).exited()
            #expect(failed.status != 0 && failed.status < 128 && !failed.timedOut, "\(failed.errors)")
            #expect(failed.errors.contains("the file is truncated after \(frames) frames (its container declares 400)"), "\(failed.errors)")
            #expect(try Self.psql(url, "SELECT status || ' ' || frames FROM runs") == ["failed \(frames)"])
            #expect(try Self.psql(url, "SELECT count(*) FROM track_points") == ["\(rows)"])
        }
    }
}
