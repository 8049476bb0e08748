import Foundation
import NIOHTTP1
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// Processing tasks over a real server, a real `vigil worker` process and PostgreSQL: a batch task over a
/// camera's recording runs to its end and its rows belong to that camera and tenant; a live task runs
/// until stopped; another tenant sees, stops and starts nothing of it; bad requests are refused clearly.
@Suite("Processing tasks", .serialized) struct ProcessingTaskTests {
    static let vtest = ServeProcessTests.packageRoot.appendingPathComponent("samples/vtest.avi").path

    /// `tracking` (a file played once) and `live` (looped, for stream tasks) over one source, plus a
    /// two-source pipeline a task cannot run per camera.
    static func pipelines(in dir: String, databaseURI: String) throws {
        func write(_ name: String, loop: Bool) throws {
            try """
                sources:
                  cam:
                    type: video
                    url: placeholder.avi
                    loop: \(loop)
                stages:
                  moving: {type: detect, inputs: [cam], kind: motion}
                  tracks: {type: track, inputs: [moving]}
                sinks:
                  db: {type: postgres, inputs: [tracks], url: "\(databaseURI)", batch_age: 200ms, time_origin: 2024-01-01T00:00:00Z}
                """.write(toFile: "\(dir)/\(name).yaml", atomically: true, encoding: .utf8)
        }
        try write("tracking", loop: false)
        try write("live", loop: true)
        try """
            sources: {a: {type: video, url: a.avi}, b: {type: video, url: b.avi}}
            sinks: {out: {type: jsonl, inputs: [a, b], path: out.jsonl}}
            """.write(toFile: "\(dir)/pair.yaml", atomically: true, encoding: .utf8)
    }

    static func worker(_ server: TestServer, directory: String) throws -> ChildProcess {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = server.database.url.uri
        return try ChildProcess([ServeProcessTests.binary, "worker", "--name", "task-worker", "--heartbeat", "0.5", "--lease", "3",
                                 "--poll", "1", "--capacity-cameras", "2", "--jobs-dir", "none", "--log-level", "info"],
                                environment: env, directory: directory, stdout: .discard, stderr: .capture)
    }

    /// Polls the task until `condition` holds (fails after `timeout` seconds).
    static func waitFor(_ server: TestServer, task: Int, token: String, timeout: Double = 240,
                        _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            let reply = try await server.get("/api/v1/processing-tasks/\(task)", token: token)
            last = reply.json ?? [:]
            if reply.status == 200, condition(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("task \(task) never got there: \(last)")
        throw TestServerError("timed out waiting for task \(task)")
    }

    @Test func tasksRunOnWorkersForTheirTenantOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-tasks-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.with({ $0.pipelinesDirectory = dir }) { server in
            try Self.pipelines(in: dir, databaseURI: server.database.url.uri)
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-plaza", "a-street"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["b-secret"])
            for camera in a.cameras + b.cameras {
                let set = try await server.request(.PATCH, "/api/v1/cameras/\(camera)", token: admin.token, json: ["url": Self.vtest])
                #expect(set.status == 200, "\(set.body)")
            }
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let viewer = try await server.account("viewer-a", role: .viewer, tenant: a.id)

            // Refused before anything is queued.
            for (body, status) in [(["pipeline": "../tracking", "mode": "batch", "camera_ids": [a.cameras[0]]], 422),
                                   (["pipeline": "pair", "mode": "batch", "camera_ids": [a.cameras[0]]], 422),
                                   (["pipeline": "missing", "mode": "batch", "camera_ids": [a.cameras[0]]], 422),
                                   (["pipeline": "tracking", "mode": "sometimes", "camera_ids": [a.cameras[0]]], 422),
                                   (["pipeline": "tracking", "mode": "stream", "from": "10s", "camera_ids": [a.cameras[0]]], 422),
                                   (["pipeline": "tracking", "mode": "batch", "camera_ids": [Int]()], 422),
                                   (["pipeline": "tracking", "mode": "batch", "camera_ids": [b.cameras[0]]], 404)] as [([String: Any], Int)] {
                let reply = try await server.post("/api/v1/processing-tasks/start", token: sa.token, body)
                #expect(reply.status == status, "\(body): \(reply.body)")
                #expect(!reply.body.contains("b-secret"))
            }
            let refused = try await server.post("/api/v1/processing-tasks/start", token: viewer.token,
                                                ["pipeline": "tracking", "mode": "batch", "camera_ids": [a.cameras[0]]])
            #expect(refused.status == 403)
            #expect(try await server.strings("SELECT count(*) FROM jobs") == ["0"])

            let worker = try Self.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }
            // A batch task over both of A's cameras' recordings, the first 4 s.
            let started = try await server.post("/api/v1/processing-tasks/start", token: sa.token,
                                                ["pipeline": "tracking", "mode": "batch", "camera_ids": a.cameras, "to": "4s"])
            #expect(started.status == 202, "\(started.body)")
            let task = try #require(started["task_id"] as? Int)
            #expect(started["status_url"] as? String == "/api/v1/processing-tasks/\(task)")
            let done = try await Self.waitFor(server, task: task, token: sa.token) { ["completed", "failed"].contains($0["state"] as? String) }
            #expect(done["state"] as? String == "completed", "\(done)")
            let cameras = (done["cameras"] as? [[String: Any]]) ?? []
            #expect(cameras.compactMap { $0["camera_id"] as? Int } == a.cameras)
            #expect(cameras.allSatisfy { ($0["frames_processed"] as? Int ?? 0) >= 39 && $0["frames_per_second"] != nil }, "\(cameras)")
            // The rows are the cameras' own, in their tenant; no camera was made up for the pipeline's source.
            #expect(try await server.strings("SELECT DISTINCT camera_id FROM track_points ORDER BY 1") == a.cameras.map(String.init))
            #expect(try await server.strings("SELECT DISTINCT tenant_id FROM runs") == ["\(a.id)"])
            #expect(try await server.strings("SELECT count(*) FROM cameras WHERE name = 'cam'") == ["0"])

            // Tenant B sees nothing of it and cannot stop it, nor can a viewer of A who is assigned none of its cameras.
            #expect(try await server.get("/api/v1/processing-tasks/\(task)", token: sb.token).status == 404)
            let listB = try await server.get("/api/v1/processing-tasks", token: sb.token)
            #expect(listB.status == 200 && ((listB["tasks"] as? [Any]) ?? [1]).isEmpty, "\(listB.body)")
            #expect(try await server.post("/api/v1/processing-tasks/\(task)/stop", token: sb.token, [String: Any]()).status == 404)
            #expect(try await server.post("/api/v1/processing-tasks/\(task)/stop", token: viewer.token, [String: Any]()).status == 404)

            // A live task runs until it is stopped; it stops cleanly and keeps what it wrote.
            let live = try await server.post("/api/v1/processing-tasks/start", token: sa.token,
                                             ["pipeline": "live", "mode": "stream", "camera_ids": [a.cameras[1]]])
            #expect(live.status == 202, "\(live.body)")
            let liveTask = try #require(live["task_id"] as? Int)
            _ = try await Self.waitFor(server, task: liveTask, token: sa.token) { task in
                task["state"] as? String == "running" && ((task["cameras"] as? [[String: Any]])?.first?["frames_processed"] as? Int ?? 0) > 0
            }
            let stop = try await server.post("/api/v1/processing-tasks/\(liveTask)/stop", token: sa.token, [String: Any]())
            #expect(stop.status == 200 && stop["stop_requested"] as? Bool == true, "\(stop.body)")
            let stopped = try await Self.waitFor(server, task: liveTask, token: sa.token) { $0["state"] as? String != "running" }
            #expect(stopped["state"] as? String == "cancelled", "\(stopped)")
            let listA = try await server.get("/api/v1/processing-tasks", token: sa.token)
            #expect(((listA["tasks"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int } == [liveTask, task])
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}
