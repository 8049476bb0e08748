import Foundation
import NIOHTTP1
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// Facial-analysis sessions over a real server, a real `vigil worker` with the real face and emotion models,
/// and PostgreSQL: a user starts a session, pushes the frames of carphone_pristine.mp4 over HTTP and ends
/// it; the facial data are per-second rows of the session's own runs and the summary agrees with them;
/// feedback is kept; another user sees none of it, the supervisor does; deleting the session deletes its data.
@Suite("Facial-analysis sessions", .serialized) struct FaceSessionTests {
    @Test func aSessionsFacialDataAndSummaryAgreeWithItsRowsAndDeletingItDeletesThem() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-face-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/frames", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try await ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-i", PushFramesTests.clip, "-q:v", "3", "\(dir)/frames/f%04d.jpg"])
        try #require(made.status == 0, "ffmpeg: \(made.errors)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/frames").sorted()
        let frames = try names.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/frames/\($0)"))) }
        let pipeline = ServeProcessTests.packageRoot.appendingPathComponent("Pipelines/facial-analysis.yaml").path
        try FileManager.default.copyItem(atPath: pipeline, toPath: dir + "/facial-analysis.yaml")
        try await TestServer.with({ $0.pipelinesDirectory = dir; $0.ingest.framesPerSecond = 1000; $0.ingest.retention = 600 }) { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: [])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: [])
            let me = try await server.account("subject-a", role: .user, tenant: a.id)
            let other = try await server.account("other-a", role: .user, tenant: a.id)
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let stranger = try await server.account("user-b", role: .user, tenant: b.id)
            let viewer = try await server.account("viewer-a", role: .viewer, tenant: a.id)
            let worker = try PushFramesTests.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }

            #expect(try await server.post("/api/v1/sessions", token: viewer.token, [String: Any]()).status == 403)
            let started = try await server.post("/api/v1/sessions", token: me.token, ["name": "morning"])
            #expect(started.status == 201 && started["state"] as? String == "running", "\(started.body)")
            let id = try #require(started["id"] as? Int)
            let camera = try #require(started["camera_id"] as? Int)
            #expect(try await server.post("/api/v1/sessions", token: me.token, [String: Any]()).status == 409)

            // Frames go once the worker runs the session's task.
            let deadline = ContinuousClock.now + .seconds(240)
            while try await server.strings("SELECT count(*) FROM runs") == ["0"], ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            let format = ISO8601DateFormatter()
            format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let t0 = Date()
            for (index, jpeg) in frames.enumerated() {
                let at = format.string(from: t0.addingTimeInterval(Double(index) / 30))
                let pushed = try await server.request(.POST, "/api/v1/ingest/\(camera)?captured_at=\(at)", token: me.token, bytes: jpeg,
                                                      headers: [("Content-Type", "image/jpeg")])
                #expect(pushed.status == 202 || pushed.status == 201, "\(pushed.body)")
            }
            // The worker has analysed every frame (its job's progress, as /ws/system shows it) before the end stops it.
            let read = ContinuousClock.now + .seconds(120)
            while try await server.strings("SELECT coalesce(max((progress->>'frames')::int8), 0) FROM jobs") != ["\(frames.count)"],
                  ContinuousClock.now < read {
                try await Task.sleep(for: .milliseconds(200))
            }
            let ended = try await server.post("/api/v1/sessions/\(id)/end", token: me.token, [String: Any]())
            #expect(ended.status == 200 && ended["state"] as? String == "ended", "\(ended.body)")
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)

            // The facial data: one row per second of the session's runs, every frame counted.
            let data = try await server.get("/api/v1/sessions/\(id)/facial-data", token: me.token)
            let seconds = data["seconds"] as? [[String: Any]] ?? []
            let runs = "SELECT r.id FROM runs r JOIN processing_task_cameras tc ON tc.job_id = r.job_id JOIN face_sessions s ON s.task_id = tc.task_id WHERE s.id = \(id)"
            let sql = try await server.strings("""
                SELECT count(*), sum(value)::int8 FROM aggregates WHERE name = 'frames' AND window_seconds = 1 AND run_id IN (\(runs))
                """).first ?? ""
            #expect(sql == "\(seconds.count)|\(frames.count)", "facial data \(seconds.count) seconds; SQL \(sql)")
            #expect(seconds.count >= 4, "\(data.body.prefix(500))")
            for second in seconds where (second["face_present"] as? Double ?? 0) > 0 {
                let emotions = second["emotions"] as? [String: Double] ?? [:]
                #expect(emotions.count == 7 && abs(emotions.values.reduce(0, +) - 1) < 0.01, "\(second)")
            }

            // The summary agrees with the rows: face-frame-weighted means, the blink count, the emotion mix.
            let summary = try #require(ended["summary"] as? [String: Any], "\(ended.body)")
            #expect(summary["frames"] as? Int == frames.count && (summary["face_frames"] as? Int ?? 0) >= frames.count - 5, "\(summary)")
            let weighted = try await server.strings("""
                WITH s AS (
                    SELECT time, max(value) FILTER (WHERE name = 'frames') AS frames,
                           max(value) FILTER (WHERE name = 'measurement_mean' AND dimensions->>'measurement' = 'face_present') AS face,
                           max(value) FILTER (WHERE name = 'measurement_mean' AND dimensions->>'measurement' = 'ear') AS ear,
                           max(value) FILTER (WHERE name = 'measurement_max' AND dimensions->>'measurement' = 'blinks') AS blinks
                    FROM aggregates WHERE window_seconds = 1 AND run_id IN (\(runs)) GROUP BY time)
                SELECT (sum(ear * frames * face) / sum(frames * face))::float8, max(blinks)::int8 FROM s
                """).first ?? ""
            let ear = summary["ear"] as? Double ?? 0
            let expected = weighted.split(separator: "|").map(String.init)
            #expect(expected.count == 2 && abs((Double(expected[0]) ?? -1) - ear) < 1e-5 && Int(expected[1]) == summary["blinks"] as? Int,
                    "SQL \(weighted), summary \(summary)")
            #expect(ear > 0.2 && ear < 0.35 && (summary["blinks"] as? Int ?? 0) >= 1, "\(summary)")
            let dominant = try await server.strings("""
                WITH s AS (
                    SELECT time, max(value) FILTER (WHERE name = 'frames') AS frames,
                           max(value) FILTER (WHERE dimensions->>'measurement' = 'face_present' AND name = 'measurement_mean') AS face
                    FROM aggregates WHERE window_seconds = 1 AND run_id IN (\(runs)) GROUP BY time)
                SELECT substr(a.dimensions->>'measurement', 9) FROM aggregates a JOIN s ON s.time = a.time
                WHERE a.run_id IN (\(runs)) AND a.name = 'measurement_mean' AND a.dimensions->>'measurement' LIKE 'emotion_%'
                GROUP BY 1 ORDER BY sum(a.value * s.frames * s.face) DESC LIMIT 1
                """)
            #expect(dominant == [summary["dominant_emotion"] as? String ?? ""], "\(summary)")
            #expect((summary["minutes"] as? [[String: Any]])?.reduce(0) { $0 + ($1["frames"] as? Int ?? 0) } == frames.count)

            // Feedback; who sees the session.
            #expect(try await server.post("/api/v1/sessions/\(id)/feedback", token: me.token, ["rating": 9]).status == 422)
            #expect(try await server.post("/api/v1/sessions/\(id)/feedback", token: me.token, ["rating": 4, "comment": "fine"]).status == 201)
            #expect(((try await server.get("/api/v1/sessions/\(id)/feedback", token: sa.token))["feedback"] as? [Any])?.count == 1)
            func ids(_ token: String) async throws -> [Int] {
                ((try await server.get("/api/v1/sessions", token: token))["sessions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
            }
            #expect(try await ids(me.token) == [id])
            #expect(try await ids(sa.token) == [id])
            #expect(try await ids(other.token).isEmpty)
            #expect(try await ids(stranger.token).isEmpty)
            for token in [other.token, stranger.token] {
                for path in ["", "/facial-data", "/summary", "/feedback"] {
                    #expect(try await server.get("/api/v1/sessions/\(id)\(path)", token: token).status == 404, "\(path)")
                }
                #expect(try await server.request(.DELETE, "/api/v1/sessions/\(id)", token: token).status == 404)
                #expect(try await server.post("/api/v1/sessions/\(id)/end", token: token, [String: Any]()).status == 404)
                #expect(try await server.post("/api/v1/sessions/\(id)/feedback", token: token, ["rating": 1]).status == 404)
            }

            // Deleting the session deletes its data.
            #expect(try await server.request(.DELETE, "/api/v1/sessions/\(id)", token: me.token).status == 204)
            #expect(try await server.get("/api/v1/sessions/\(id)", token: me.token).status == 404)
            #expect(try await server.strings("SELECT count(*) FROM aggregates WHERE camera_id = \(camera)") == ["0"])
            #expect(try await server.strings("SELECT count(*) FROM runs") == ["0"])
            #expect(try await server.strings("SELECT count(*) FROM face_session_feedback") == ["0"])
        }
    }
}
