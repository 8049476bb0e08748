import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// `/api/v1/media` over a real server, a real `vigil worker` (with the `preview` sink) and PostgreSQL: a
/// live task's camera has its latest frame as a real JPEG, raw and with tracks drawn, and an MJPEG stream
/// that keeps sending new frames; another tenant gets 404 for both.
@Suite("Media (API)", .serialized) struct MediaAPITests {
    static func pipeline(in dir: String, databaseURI: String) throws {
        try """
            sources:
              cam: {type: video, url: placeholder.avi, loop: true}
            stages:
              moving: {type: detect, inputs: [cam], kind: motion, label: person}
              tracks: {type: track, inputs: [moving]}
            sinks:
              db: {type: postgres, inputs: [tracks], url: "\(databaseURI)", batch_age: 200ms}
              preview: {type: preview, inputs: [tracks], url: "\(databaseURI)", fps: 5}
            """.write(toFile: "\(dir)/watch.yaml", atomically: true, encoding: .utf8)
    }

    /// Width and height of a JPEG, as FFmpeg reads it.
    static func probe(_ data: Data, in dir: String) async throws -> String {
        let file = dir + "/frame-\(UUID().uuidString.prefix(6)).jpg"
        try data.write(to: URL(fileURLWithPath: file))
        let result = try await ChildProcess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", file])
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aTasksCameraShowsItsLatestFrameAndALivePreviewToItsTenantOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-media-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.with({ $0.pipelinesDirectory = dir }) { server in
            try Self.pipeline(in: dir, databaseURI: server.database.url.uri)
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-plaza"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: [])
            #expect(try await server.request(.PATCH, "/api/v1/cameras/\(a.cameras[0])", token: admin.token,
                                             json: ["url": ProcessingTaskTests.vtest]).status == 200)
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let worker = try ProcessingTaskTests.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }
            let started = try await server.post("/api/v1/processing-tasks/start", token: sa.token,
                                                ["pipeline": "watch", "mode": "stream", "camera_ids": a.cameras])
            let task = try #require(started["task_id"] as? Int, "\(started.body)")
            let path = "/api/v1/media/frames/\(task)/\(a.cameras[0])"

            var latest = try await server.get(path, token: sa.token)
            let deadline = Date().addingTimeInterval(120)
            while latest.status != 200 && Date() < deadline {
                try await Task.sleep(for: .milliseconds(200))
                latest = try await server.get(path, token: sa.token)
            }
            #expect(latest.status == 200 && latest.headers.first(name: "Content-Type") == "image/jpeg", "\(latest.body.prefix(300))")
            #expect(try await Self.probe(latest.data, in: dir) == "mjpeg,768,576")
            let raw = try await server.get(path + "?overlays=false", token: sa.token)
            #expect(raw.status == 200 && raw.data.starts(with: [0xFF, 0xD8]) && raw.data != latest.data)
            #expect(try await Self.probe(raw.data, in: dir) == "mjpeg,768,576")

            // Tenant B sees neither the task's frame nor the camera's preview; a camera outside the task is not found.
            #expect(try await server.get(path, token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/media/live/\(a.cameras[0])", token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/media/frames/\(task)/\(a.cameras[0] + 1000)", token: sa.token).status == 404)

            // The MJPEG preview: parts keep coming, each a JPEG of a later frame.
            var request = HTTPClientRequest(url: server.base + "/api/v1/media/live/\(a.cameras[0])")
            request.headers.add(name: "Authorization", value: "Bearer \(sa.token)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type") == "multipart/x-mixed-replace; boundary=vigil-frame")
            var received = Data()
            let marker = Data("--vigil-frame\r\nContent-Type: image/jpeg\r\n".utf8)
            func parts(_ data: Data) -> Int {
                var count = 0, from = data.startIndex
                while let r = data.range(of: marker, in: from..<data.endIndex) { count += 1; from = r.upperBound }
                return count
            }
            for try await chunk in response.body {
                received.append(contentsOf: chunk.readableBytesView)
                if parts(received) >= 4 { break }
            }
            #expect(parts(received) >= 4)
            let firstJPEG = try #require(received.range(of: Data([0xFF, 0xD8])))
            #expect(received.range(of: Data("\r\n\r\n".utf8))!.upperBound == firstJPEG.lowerBound)

            _ = try await server.post("/api/v1/processing-tasks/\(task)/stop", token: sa.token, [String: Any]())
            _ = try await ProcessingTaskTests.waitFor(server, task: task, token: sa.token) { $0["state"] as? String != "running" }
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}
