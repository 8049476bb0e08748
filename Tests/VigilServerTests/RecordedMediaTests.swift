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

/// Media from recordings over a real server, a real `vigil worker` and PostgreSQL, after a batch task
/// over samples/vtest.avi with an alert stage writing evidence: each alert's snapshot, crop and clip are
/// served (the clip in ranges), a person's crop is cut from the recording at their best-seen frame, and a
/// time range of the recording plays as an MP4 of that duration. Another tenant gets 404 for all of it.
@Suite("Recorded media (API)", .serialized) struct RecordedMediaTests {
    static func pipeline(in dir: String, databaseURI: String) throws {
        try """
            sources:
              cam: {type: video, url: placeholder.avi}
            stages:
              moving: {type: detect, inputs: [cam], kind: motion, label: person}
              tracks: {type: track, inputs: [moving]}
              alerts:
                type: alert
                inputs: [tracks]
                zones:
                  everywhere: {polygon: [[0, 0], [768, 0], [768, 576], [0, 576]]}
                rules:
                  arrivals: {kind: zone_enter, zone: everywhere}
                clip: {before: 1s, after: 1s}
            sinks:
              db: {type: postgres, inputs: [alerts], url: "\(databaseURI)", batch_age: 200ms, time_origin: 2024-01-01T00:00:00Z}
            """.write(toFile: "\(dir)/evidence.yaml", atomically: true, encoding: .utf8)
    }

    /// `ffprobe` of a file: codec, width, height, and the duration and frame count when asked.
    static func probe(_ data: Data, in dir: String, ext: String, entries: String = "stream=codec_name,width,height") async throws -> String {
        let file = dir + "/probe-\(UUID().uuidString.prefix(6)).\(ext)"
        try data.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await ChildProcess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                                                 "-show_entries", entries, "-of", "csv=p=0", file])
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func alertEvidencePersonCropsAndPlaybackComeFromTheRecordingToItsTenantOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-recorded-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.with({ $0.pipelinesDirectory = dir; $0.media.root = dir; $0.media.playbackCache = dir + "/playback" }) { server in
            try Self.pipeline(in: dir, databaseURI: server.database.url.uri)
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-plaza"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: [])
            let camera = a.cameras[0]
            #expect(try await server.request(.PATCH, "/api/v1/cameras/\(camera)", token: admin.token,
                                             json: ["url": ProcessingTaskTests.vtest]).status == 200)
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let worker = try ProcessingTaskTests.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }
            let started = try await server.post("/api/v1/processing-tasks/start", token: sa.token,
                                                ["pipeline": "evidence", "mode": "batch", "camera_ids": [camera], "to": "8s"])
            let task = try #require(started["task_id"] as? Int, "\(started.body)")
            let done = try await ProcessingTaskTests.waitFor(server, task: task, token: sa.token) { $0["state"] as? String != "running" && $0["state"] as? String != "queued" }
            #expect(done["state"] as? String == "completed", "\(done)")
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)

            // Alert evidence: the event lists its files' URLs; each is served, the clip in ranges.
            let events = try await server.get("/api/v1/events?cameras=\(camera)&limit=1", token: sa.token)
            let event = try #require((events["events"] as? [[String: Any]])?.first, "\(events.body)")
            let id = try #require(event["id"] as? Int)
            let evidence = try #require(event["evidence"] as? [String: Any], "\(event)")
            #expect(evidence["snapshot_url"] as? String == "/api/v1/events/\(id)/snapshot")
            #expect(evidence["crop_url"] as? String == "/api/v1/events/\(id)/crop")
            #expect(evidence["clip_url"] as? String == "/api/v1/events/\(id)/clip")
            let snapshot = try await server.get("/api/v1/events/\(id)/snapshot", token: sa.token)
            #expect(snapshot.status == 200 && snapshot.headers.first(name: "Content-Type") == "image/jpeg")
            #expect(try await Self.probe(snapshot.data, in: dir, ext: "jpg") == "mjpeg,768,576")
            let crop = try await server.get("/api/v1/events/\(id)/crop", token: sa.token)
            #expect(crop.status == 200 && crop.data.starts(with: [0xFF, 0xD8]) && crop.data.count < snapshot.data.count)
            let clip = try await server.get("/api/v1/events/\(id)/clip", token: sa.token)
            #expect(clip.status == 200 && clip.headers.first(name: "Content-Type") == "video/x-matroska")
            // A stream copy: the recording's own codec and size.
            let source = try await ChildProcess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height",
                                                     "-of", "csv=p=0", ProcessingTaskTests.vtest]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await Self.probe(clip.data, in: dir, ext: "mkv") == source)
            let part = try await server.request(.GET, "/api/v1/events/\(id)/clip", token: sa.token, headers: [("Range", "bytes=100-199")])
            #expect(part.status == 206 && part.data == clip.data[100..<200])
            #expect(part.headers.first(name: "Content-Range") == "bytes 100-199/\(clip.data.count)")
            for kind in ["snapshot", "crop", "clip"] {
                let other = try await server.get("/api/v1/events/\(id)/\(kind)", token: sb.token)
                #expect(other.status == 404 && !other.data.starts(with: [0xFF, 0xD8]), "\(kind): \(other.status)")
            }

            // A person's crop: the track's largest box, cut from the recording with a 10% margin each side.
            let best = try #require(try await server.strings("""
                SELECT track_id, x, y, w, h FROM track_points WHERE camera_id = \(camera) ORDER BY w * h DESC, score DESC, time LIMIT 1
                """).first).split(separator: "|").map { Double($0)! }
            let track = Int(best[0])
            let trackCrop = try await server.get("/api/v1/media/crops/tracks/\(camera)/\(track)", token: sa.token)
            #expect(trackCrop.status == 200 && trackCrop.headers.first(name: "X-Track-Id") == String(track), "\(trackCrop.body.prefix(300))")
            let (x, y, w, h) = (best[1], best[2], best[3], best[4])
            let width = min(768, x + 1.1 * w) - max(0, x - 0.1 * w), height = min(576, y + 1.1 * h) - max(0, y - 0.1 * h)
            let size = try await Self.probe(trackCrop.data, in: dir, ext: "jpg").split(separator: ",")
            #expect(size.count == 3 && size[0] == "mjpeg")
            if size.count == 3, let cw = Double(size[1]), let ch = Double(size[2]) {
                #expect(abs(cw - width) <= 3 && abs(ch - height) <= 3, "crop \(cw)x\(ch), box with margin \(width)x\(height)")
            }
            // By global id (the ids `reidentify` would give: set here on the track's points).
            _ = try await server.strings("UPDATE track_points SET global_id = 41 WHERE camera_id = \(camera) AND track_id = \(track)")
            let person = try await server.get("/api/v1/media/crops/identities/41", token: sa.token)
            #expect(person.status == 200 && person.data == trackCrop.data)
            #expect(try await server.get("/api/v1/media/crops/identities/41", token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/media/crops/tracks/\(camera)/\(track)", token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/media/crops/tracks/\(camera)/999999", token: sa.token).status == 404)

            // Playback: seconds 2 to 5 of the recording as its wall times (origin = a point's time - its media time).
            let origin = try #require(try await server.strings("""
                SELECT extract(epoch FROM time) - media_time FROM track_points WHERE camera_id = \(camera) LIMIT 1
                """).first.flatMap(Double.init))
            let iso = { (seconds: Double) in Date(timeIntervalSince1970: origin + seconds).formatted(.iso8601) }
            let range = "from=\(iso(2))&to=\(iso(5))"
            let playback = try await server.get("/api/v1/media/playback/\(camera)?\(range)", token: sa.token)
            #expect(playback.status == 200 && playback.headers.first(name: "Content-Type") == "video/mp4", "\(playback.body.prefix(300))")
            let played = try await Self.probe(playback.data, in: dir, ext: "mp4", entries: "stream=codec_name,width,height,nb_read_frames")
            #expect(played == "h264,768,576,30", "vtest.avi is 10 frames/s: 3 s are 30 frames")
            let again = try await server.request(.GET, "/api/v1/media/playback/\(camera)?\(range)", token: sa.token, headers: [("Range", "bytes=0-99")])
            #expect(again.status == 206 && again.data == playback.data.prefix(100))
            #expect(try await server.get("/api/v1/media/playback/\(camera)?\(range)", token: sb.token).status == 404)
            #expect(try await server.get("/api/v1/media/playback/\(camera)?from=\(iso(5))&to=\(iso(2))", token: sa.token).status == 422)
            #expect(try await server.get("/api/v1/media/playback/\(camera)?from=\(iso(0))&to=\(iso(3600))", token: sa.token).status == 422)
            #expect(try await server.get("/api/v1/media/playback/\(camera)?from=\(iso(0))", token: sa.token).status == 400)
            #expect(try await server.get("/api/v1/media/playback/\(camera)?from=\(iso(-20))&to=\(iso(-10))", token: sa.token).status == 404)
        }
    }
}
