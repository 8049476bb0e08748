import Foundation
import NIOHTTP1
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// Export jobs through the API over a real server, a real `vigil worker` and PostgreSQL: rows a batch task
/// wrote for two tenants' cameras are exported by the worker, stored in the database and downloaded —
/// byte for byte what `vigil export` writes for the same query, in ranges, only by those who see the
/// cameras, and no longer once the file expired.
@Suite("Export jobs (API)", .serialized) struct ExportAPITests {
    static func waitForExport(_ server: TestServer, _ id: Int, token: String, timeout: Double = 180) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            let reply = try await server.get("/api/v1/export/jobs/\(id)/status", token: token)
            last = reply.json ?? [:]
            if reply.status == 200, ["completed", "failed", "cancelled"].contains(last["state"] as? String) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("export \(id) never finished: \(last)")
        throw TestServerError("timed out waiting for export \(id)")
    }

    /// `vigil export tracks ...` of the same rows, as the CLI writes them.
    static func cliExport(_ server: TestServer, cameras: [String], format: String, in dir: String) async throws -> Data {
        let out = dir + "/cli-\(UUID().uuidString.prefix(6)).\(format)"
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = server.database.url.uri
        let result = try await ChildProcess.run([ServeProcessTests.binary, "export", "tracks", "--format", format, "--out", out, "--quiet"]
                                                + cameras.flatMap { ["--camera", $0] }, environment: env, directory: dir)
        #expect(result.status == 0, "\(result.errors)")
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    @Test func exportsAreWrittenByAWorkerStoredDownloadedInRangesScopedAndExpire() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-exports-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.with({ $0.pipelinesDirectory = dir }) { server in
            try ProcessingTaskTests.pipelines(in: dir, databaseURI: server.database.url.uri)
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-plaza", "a-street"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["b-secret"])
            for camera in a.cameras + b.cameras {
                let set = try await server.request(.PATCH, "/api/v1/cameras/\(camera)", token: admin.token, json: ["url": ProcessingTaskTests.vtest])
                #expect(set.status == 200, "\(set.body)")
            }
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let operatorA = try await server.account("operator-a", role: .operator, tenant: a.id)
            let assigned = try await server.request(.PUT, "/api/v1/users/\(operatorA.id)/cameras", token: sa.token, json: ["camera_ids": [a.cameras[0]]])
            #expect(assigned.status == 200, "\(assigned.body)")
            let idle = try await server.account("viewer-a", role: .viewer, tenant: a.id)

            let worker = try ProcessingTaskTests.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }
            for (token, cameras) in [(sa.token, a.cameras), (sb.token, b.cameras)] {
                let started = try await server.post("/api/v1/processing-tasks/start", token: token,
                                                    ["pipeline": "tracking", "mode": "batch", "camera_ids": cameras, "to": "3s"])
                let task = try #require(started["task_id"] as? Int, "\(started.body)")
                let done = try await ProcessingTaskTests.waitFor(server, task: task, token: token) {
                    ["completed", "failed"].contains($0["state"] as? String)
                }
                #expect(done["state"] as? String == "completed", "\(done)")
            }

            // Refused before anything is queued, with the reason; another tenant's camera does not exist.
            let jobsBefore = try await server.strings("SELECT count(*) FROM jobs WHERE kind = 'export'")
            for (body, status) in [(["format": "xlsx"], 422), (["format": "csv", "dataset": "secrets"], 422),
                                   (["format": "mot", "dataset": "tracks"], 422), (["format": "csv", "camera_ids": [b.cameras[0]]], 404),
                                   (["format": "csv", "from": "2024-01-02T00:00:00Z", "to": "2024-01-01T00:00:00Z"], 422),
                                   (["format": "csv", "from": "yesterday"], 400)] as [([String: Any], Int)] {
                let reply = try await server.post("/api/v1/export/tracking-data", token: sa.token, body)
                #expect(reply.status == status, "\(body): \(reply.body)")
                #expect(!reply.body.contains("b-secret"))
            }
            #expect(try await server.post("/api/v1/export/tracking-data", token: idle.token, ["format": "csv"]).status == 403)
            #expect(try await server.strings("SELECT count(*) FROM jobs WHERE kind = 'export'") == jobsBefore)

            // The supervisor's export of the whole tenant: what `vigil export` writes for A's two cameras, byte for byte.
            let started = try await server.post("/api/v1/export/tracking-data", token: sa.token, ["format": "csv"])
            #expect(started.status == 202, "\(started.body)")
            let id = try #require(started["id"] as? Int)
            #expect(started.headers.first(name: "Location") == "/api/v1/export/jobs/\(id)/status")
            let done = try await Self.waitForExport(server, id, token: sa.token)
            #expect(done["state"] as? String == "completed", "\(done)")
            let progress = done["progress"] as? [String: Any]
            #expect(progress?["rows_done"] as? Int != nil && progress?["rows_done"] as? Int == progress?["rows"] as? Int, "\(done)")
            let download = try await server.get("/api/v1/export/jobs/\(id)/download", token: sa.token)
            #expect(download.status == 200)
            #expect(download.headers.first(name: "Content-Type") == "text/csv; charset=utf-8")
            #expect(download.headers.first(name: "Content-Disposition")?.hasPrefix("attachment; filename=\"vigil-track_points-\(id).csv\"") == true)
            #expect(download.headers.first(name: "Accept-Ranges") == "bytes")
            let expected = try await Self.cliExport(server, cameras: ["a-plaza", "a-street"], format: "csv", in: dir)
            #expect(expected.count > 1000 && download.data == expected, "API \(download.data.count) bytes, CLI \(expected.count) bytes")
            #expect(done["size"] as? Int == expected.count)
            #expect(!download.body.contains("b-secret"))

            // Ranges: a slice, the last bytes, one past the end.
            let slice = try await server.request(.GET, "/api/v1/export/jobs/\(id)/download", token: sa.token, headers: [("Range", "bytes=100-1099")])
            #expect(slice.status == 206 && slice.data == expected[100...1099])
            #expect(slice.headers.first(name: "Content-Range") == "bytes 100-1099/\(expected.count)")
            let tail = try await server.request(.GET, "/api/v1/export/jobs/\(id)/download", token: sa.token, headers: [("Range", "bytes=-7")])
            #expect(tail.status == 206 && tail.data == expected.suffix(7))
            let beyond = try await server.request(.GET, "/api/v1/export/jobs/\(id)/download", token: sa.token,
                                                  headers: [("Range", "bytes=\(expected.count)-")])
            #expect(beyond.status == 416 && beyond.headers.first(name: "Content-Range") == "bytes */\(expected.count)")

            // Tenant B, and an operator of A who does not see both cameras, see nothing of it.
            for token in [sb.token, operatorA.token] {
                #expect(try await server.get("/api/v1/export/jobs/\(id)/status", token: token).status == 404)
                #expect(try await server.get("/api/v1/export/jobs/\(id)/download", token: token).status == 404)
            }
            // The operator's export holds their camera only; MOT comes as a tar archive of one file per camera.
            let mot = try await server.post("/api/v1/export/tracking-data", token: operatorA.token, ["format": "mot"])
            let motID = try #require(mot["id"] as? Int, "\(mot.body)")
            #expect(mot["camera_ids"] as? [Int] == [a.cameras[0]])
            #expect(try await Self.waitForExport(server, motID, token: operatorA.token)["state"] as? String == "completed")
            let archive = try await server.get("/api/v1/export/jobs/\(motID)/download", token: operatorA.token)
            #expect(archive.status == 200 && archive.headers.first(name: "Content-Type") == "application/x-tar")
            let tarFile = dir + "/mot.tar"
            try archive.data.write(to: URL(fileURLWithPath: tarFile))
            let listing = try await ChildProcess.run(["tar", "-tf", tarFile])
            #expect(listing.status == 0 && listing.output.split(separator: "\n") == ["a-plaza.txt"], "\(listing.output) \(listing.errors)")
            let unpacked = dir + "/mot"
            try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
            #expect(try await ChildProcess.run(["tar", "-xf", tarFile, "-C", unpacked]).status == 0)
            let cliMOT = dir + "/cli-mot"
            var env = ProcessInfo.processInfo.environment
            env["DATABASE_URL"] = server.database.url.uri
            #expect(try await ChildProcess.run([ServeProcessTests.binary, "export", "tracks", "--format", "mot", "--out", cliMOT, "--quiet",
                                                "--camera", "a-plaza"], environment: env).status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: unpacked + "/a-plaza.txt")) == Data(contentsOf: URL(fileURLWithPath: cliMOT + "/a-plaza.txt")))

            // Tenant B's supervisor exports B's rows only.
            let other = try await server.post("/api/v1/export/tracking-data", token: sb.token, ["format": "jsonl"])
            let otherID = try #require(other["id"] as? Int, "\(other.body)")
            #expect(try await Self.waitForExport(server, otherID, token: sb.token)["state"] as? String == "completed")
            let bRows = try await server.get("/api/v1/export/jobs/\(otherID)/download", token: sb.token)
            #expect(bRows.status == 200 && bRows.body.contains("b-secret") && !bRows.body.contains("a-plaza") && !bRows.body.contains("a-street"))
            #expect(try await server.get("/api/v1/export/jobs/\(otherID)/status", token: sa.token).status == 404)

            // The analytics report of tenant A: one self-contained HTML file with its charts, of A's cameras only.
            let report = try await server.post("/api/v1/export/analytics-report", token: sa.token, [String: Any]())
            let reportID = try #require(report["id"] as? Int, "\(report.body)")
            #expect(report.status == 202 && report["kind"] as? String == "analytics-report")
            #expect(try await Self.waitForExport(server, reportID, token: sa.token)["state"] as? String == "completed")
            let page = try await server.get("/api/v1/export/jobs/\(reportID)/download", token: sa.token)
            #expect(page.status == 200 && page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(page.headers.first(name: "Content-Disposition")?.contains("vigil-report-\(reportID).html") == true)
            #expect(page.body.contains("<svg") && page.body.contains("Objects over time per camera"))
            #expect(page.body.contains("a-plaza") && page.body.contains("a-street") && !page.body.contains("b-secret"))
            #expect(try await server.get("/api/v1/export/jobs/\(reportID)/status", token: sb.token).status == 404)
            let bReport = try await server.post("/api/v1/export/analytics-report", token: sb.token, [String: Any]())
            let bReportID = try #require(bReport["id"] as? Int, "\(bReport.body)")
            #expect(try await Self.waitForExport(server, bReportID, token: sb.token)["state"] as? String == "completed")
            let bPage = try await server.get("/api/v1/export/jobs/\(bReportID)/download", token: sb.token)
            #expect(bPage.body.contains("b-secret") && !bPage.body.contains("a-plaza"))
            #expect(try await server.post("/api/v1/export/analytics-report", token: sa.token, ["camera_ids": [b.cameras[0]]]).status == 404)

            // The overlay video of A's camera: its run drawn on the recording, H.264 of the recording's size.
            let overlay = try await server.post("/api/v1/export/video-with-overlays", token: sa.token, ["camera_id": a.cameras[0]])
            let overlayID = try #require(overlay["id"] as? Int, "\(overlay.body)")
            let drawn = try await Self.waitForExport(server, overlayID, token: sa.token, timeout: 600)
            #expect(drawn["state"] as? String == "completed", "\(drawn)")
            #expect((drawn["progress"] as? [String: Any])?["frames_done"] as? Int == 795, "\(drawn)")
            let video = try await server.get("/api/v1/export/jobs/\(overlayID)/download", token: sa.token)
            #expect(video.status == 200 && video.headers.first(name: "Content-Type") == "video/mp4")
            let file = dir + "/overlay.mp4"
            try video.data.write(to: URL(fileURLWithPath: file))
            let probe = try await ChildProcess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                                    "stream=codec_name,width,height", "-of", "csv=p=0", file])
            #expect(probe.output.trimmingCharacters(in: .whitespacesAndNewlines) == "h264,768,576", "\(probe.output) \(probe.errors)")
            // Another tenant's camera is a 404; a camera whose URL is a stream has no recording to draw on.
            #expect(try await server.post("/api/v1/export/video-with-overlays", token: sb.token, ["camera_id": a.cameras[0]]).status == 404)
            #expect(try await server.get("/api/v1/export/jobs/\(overlayID)/status", token: sb.token).status == 404)
            let live = try await server.post("/api/v1/cameras", token: admin.token, ["name": "a-live", "tenant_id": a.id, "url": "rtsp://cam.example/live"])
            let liveID = try #require(live["id"] as? Int, "\(live.body)")
            #expect(try await server.post("/api/v1/export/video-with-overlays", token: sa.token, ["camera_id": liveID]).status == 422)

            // Once the retention has passed the file is gone: 410, and the status says expired.
            _ = try await server.strings("UPDATE export_files SET stored_at = now() - interval '25 hours' WHERE request_id = \(id)")
            let gone = try await server.get("/api/v1/export/jobs/\(id)/download", token: sa.token)
            #expect(gone.status == 410 && gone.errorCode == "expired", "\(gone.body)")
            #expect(try await server.get("/api/v1/export/jobs/\(id)/status", token: sa.token)["state"] as? String == "expired")
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}
