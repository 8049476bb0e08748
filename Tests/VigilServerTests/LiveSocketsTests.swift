import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOHTTP1
import NIOWebSocket
import Synchronization
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// `/ws/frames/{task}` and `/ws/system` over a real server and a real `vigil worker` running a live task
/// with a `preview` sink over samples/vtest.avi: the frames are JPEGs of the camera with increasing
/// indexes; tracking updates carry the preview frame when asked (`?frames=true`); the system snapshot shows the worker, the running job and the camera's frames; tenant B gets
/// 4404 for the frames and a snapshot with none of it.
@Suite("Live frames and system sockets", .serialized) struct LiveSocketsTests {
    static func connect(_ server: TestServer, _ path: String, token: String,
                        _ script: @escaping @Sendable (WebSocketInboundMessageStream.AsyncIterator, WebSocketOutboundWriter) async throws -> Void)
        async throws -> WebSocketCloseFrame? {
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = [.authorization: "Bearer \(token)"]
        configuration.maxFrameSize = 8 << 20   // frames carry whole JPEGs
        let settings = configuration
        return try await withDeadline("the socket \(path)", timeout: .seconds(240)) {
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)\(path)", configuration: settings,
                                              logger: Logger(label: "test.ws.live")) { inbound, outbound, _ in
                try await script(inbound.messages(maxSize: 8 << 20).makeAsyncIterator(), outbound)
            }
        }
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// Reads text messages until `done` says so (given every message so far); closes normally.
    static func collect(_ server: TestServer, _ path: String, token: String, sending first: [String] = [],
                        until done: @escaping @Sendable ([String]) -> Bool) async throws -> [String] {
        let texts = Mutex<[String]>([])
        let close = try await connect(server, path, token: token) { messages, outbound in
            var messages = messages
            for text in first { try await outbound.write(.text(text)) }
            while let message = try await messages.next() {
                guard case .text(let text) = message else { continue }
                if texts.withLock({ $0.append(text); return done($0) }) { break }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        #expect(close?.closeCode == .normalClosure, "\(path): \(String(describing: close))")
        return texts.withLock { $0 }
    }

    @Test func framesAndSystemSnapshotsOfTheCallersTasksOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-live-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.with({ $0.pipelinesDirectory = dir }) { server in
            try MediaAPITests.pipeline(in: dir, databaseURI: server.database.url.uri)
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
            let camera = a.cameras[0]

            // Frames: the subscription, then JPEGs of the camera with increasing indexes.
            let texts = try await Self.collect(server, "/ws/frames/\(task)", token: sa.token) { $0.count >= 5 }
            #expect(Self.json(texts[0])["type"] as? String == "subscribed")
            var indexes: [Int] = []
            for text in texts.dropFirst() {
                let message = Self.json(text)
                #expect(message["type"] as? String == "frame" && message["camera_id"] as? Int == camera && message["task_id"] as? Int == task)
                let data = try #require(Data(base64Encoded: message["data"] as? String ?? ""))
                #expect(try await MediaAPITests.probe(data, in: dir) == "mjpeg,768,576")
                indexes.append(message["frame_index"] as? Int ?? -1)
            }
            #expect(indexes == indexes.sorted() && Set(indexes).count == indexes.count, "\(indexes)")
            // Another tenant: closed with 4404, nothing sent.
            let denied = Mutex<[String]>([])
            let close = try await Self.connect(server, "/ws/frames/\(task)", token: sb.token) { messages, _ in
                var messages = messages
                while let message = try await messages.next() { if case .text(let t) = message { denied.withLock { $0.append(t) } } }
            }
            #expect(close?.closeCode == .unknown(4404) && denied.withLock { $0 }.isEmpty)

            // Tracking updates with frames (?frames=true): some carry the camera's preview frame as a data URI.
            let prefix = "data:image/jpeg;base64,"
            let image: @Sendable (String) -> String? = { text in
                ((Self.json(text)["payload"] as? [String: Any])?["cameras"] as? [String: [String: Any]])?[String(camera)]?["frame_image_base64"] as? String
            }
            let updates = try await Self.collect(server, "/ws/tracking/\(task)?frames=true", token: sa.token) { texts in
                texts.contains { image($0) != nil }
            }
            let picture = try #require(updates.compactMap(image).first)
            #expect(picture.hasPrefix(prefix))
            let jpeg = try #require(Data(base64Encoded: String(picture.dropFirst(prefix.count))))
            #expect(try await MediaAPITests.probe(jpeg, in: dir) == "mjpeg,768,576")
            // Without asking, no update carries one.
            let plain = try await Self.collect(server, "/ws/tracking/\(task)", token: sa.token) { $0.count >= 6 }
            #expect(plain.dropFirst().allSatisfy { image($0) == nil && $0.contains("tracking_update") })

            // System: the worker, the running job and the camera's work once it reports frames.
            let snapshots = try await Self.collect(server, "/ws/system", token: sa.token) { texts in
                let cameras = Self.json(texts.last!)["cameras"] as? [[String: Any]] ?? []
                return cameras.contains { ($0["frames"] as? Int ?? 0) > 0 && $0["camera_id"] as? Int == camera }
            }
            let last = Self.json(try #require(snapshots.last))
            #expect(last["type"] as? String == "system")
            #expect((last["workers"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == "task-worker" && ($0["running_jobs"] as? Int ?? 0) >= 1 })
            #expect(((last["queue"] as? [String: Any])?["running"] as? Int ?? 0) >= 1)
            let work = try #require((last["cameras"] as? [[String: Any]])?.first)
            #expect(work["task_id"] as? Int == task && work["dropped_frames"] is Int && (last["frames_per_second"] as? Double ?? 0) >= 0)
            // These routes only send: a ping is answered, anything else gets an error, and the feed goes on.
            let other = try await Self.collect(server, "/ws/system", token: sb.token, sending: [#"{"type":"ping"}"#, "hello"]) { texts in
                texts.contains { $0.contains("\"pong\"") } && texts.contains { $0.contains("bad_message") } && texts.contains { $0.contains("\"system\"") }
            }
            let theirs = Self.json(try #require(other.first { $0.contains("\"system\"") }))
            #expect((theirs["cameras"] as? [Any])?.isEmpty == true && (theirs["workers"] as? [Any])?.isEmpty == true, "\(theirs)")
            #expect(((theirs["queue"] as? [String: Any])?["running"] as? Int) == 0)

            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}
