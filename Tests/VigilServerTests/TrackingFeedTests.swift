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

/// `/ws/tracking/{task}` over a real server, a real `vigil worker` and PostgreSQL: a live task over
/// samples/vtest.avi sends `tracking_update` messages that validate against the clients' JSON Schema
/// and carry the track ids the database holds; another tenant, a stranger and a missing task get a
/// close and nothing else; the task stops as cancelled.
@Suite("Live tracking feed", .serialized) struct TrackingFeedTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Contracts/tracking_update.schema.json").path

    static func connect(_ server: TestServer, task: Int, token: String?,
                        _ script: @escaping @Sendable (WebSocketInboundMessageStream.AsyncIterator, WebSocketOutboundWriter) async throws -> Void)
        async throws -> WebSocketCloseFrame? {
        var configuration = WebSocketClientConfiguration()
        if let token { configuration.additionalHeaders = [.authorization: "Bearer \(token)"] }
        return try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/ws/tracking/\(task)", configuration: configuration,
                                                 logger: Logger(label: "test.ws.tracking")) { inbound, outbound, _ in
            try await script(inbound.messages(maxSize: 4 << 20).makeAsyncIterator(), outbound)
        }
    }

    /// Validates each JSON text against the schema with Python's `jsonschema` (Draft 2020-12); returns its complaints.
    static func schemaErrors(_ messages: [String], in dir: String) async throws -> String {
        let python = try await SMTPReceiver.python.value.get()
        let file = dir + "/messages.jsonl"
        try messages.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator, FormatChecker
            validator = Draft202012Validator(json.load(open(sys.argv[1])), format_checker=FormatChecker())
            bad = 0
            for n, line in enumerate(open(sys.argv[2])):
                for error in validator.iter_errors(json.loads(line)):
                    bad += 1
                    print(f"message {n}: {error.message} at {list(error.absolute_path)}")
            sys.exit(1 if bad else 0)
            """
        let result = try await ChildProcess.run([python, "-c", script, Self.schema, file])
        return result.status == 0 ? "" : result.output + result.errors
    }

    @Test func aLiveTaskStreamsTheDatabasesTracksToItsTenantOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-feed-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.with({ $0.pipelinesDirectory = dir }) { server in
            try ProcessingTaskTests.pipelines(in: dir, databaseURI: server.database.url.uri)
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-plaza"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: [])
            #expect(try await server.request(.PATCH, "/api/v1/cameras/\(a.cameras[0])", token: admin.token,
                                             json: ["url": ProcessingTaskTests.vtest]).status == 200)
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let viewer = try await server.account("viewer-a", role: .viewer, tenant: a.id)  // assigned no camera

            let worker = try ProcessingTaskTests.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }
            let started = try await server.post("/api/v1/processing-tasks/start", token: sa.token,
                                                ["pipeline": "live", "mode": "stream", "camera_ids": a.cameras])
            let task = try #require(started["task_id"] as? Int, "\(started.body)")

            // Tenant B, a viewer who sees none of its cameras, a missing task, no token: closed, nothing sent.
            for (token, id, code) in [(sb.token, task, 4404), (viewer.token, task, 4404), (sa.token, task + 1000, 4404), (nil, task, 4401)]
                as [(String?, Int, Int)] {
                let got = Mutex<[String]>([])
                var close: WebSocketCloseFrame?
                // A connection whose close never came (twice seen in CI under full load, never locally, cause
                // unknown) is tried once more on a new connection; a second stall fails the test. A stall
                // is not a leak: what matters is the close code and that nothing was sent.
                for attempt in 1...2 {
                    do {
                        close = try await withDeadline("the close of task \(id) for \(token == nil ? "no token" : "a token")",
                                                       timeout: .seconds(90)) {
                            try await Self.connect(server, task: id, token: token) { messages, _ in
                                var messages = messages
                                while let message = try await messages.next() {
                                    if case .text(let text) = message { got.withLock { $0.append(text) } }
                                }
                            }
                        }
                        break
                    } catch let stall as WaitTimeout where attempt == 1 {
                        print("TrackingFeedTests: \(stall); trying a new connection")
                    }
                }
                #expect(close?.closeCode == .unknown(UInt16(code)), "\(String(describing: close))")
                #expect(got.withLock { $0 }.isEmpty)
            }

            // The supervisor follows the task: updates arrive as the worker commits.
            let updates = Mutex<[String]>([])
            let close: WebSocketCloseFrame?
            do {
                close = try await withDeadline("40 tracking updates", timeout: .seconds(240)) {
                    try await Self.connect(server, task: task, token: sa.token) { messages, outbound in
                        var messages = messages
                        guard case .text(let hello) = try await messages.next() else { Issue.record("no first message"); return }
                        #expect(hello.contains("\"subscribed\""), "\(hello)")
                        while let message = try await messages.next() {
                            if case .text(let text) = message, text.contains("\"tracking_update\"") {
                                if updates.withLock({ $0.append(text); return $0.count }) >= 40 { break }
                            }
                        }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                }
            } catch let timeout as WaitTimeout {
                // Say where the updates stopped: the task, its job, the rows written and the worker's log.
                let state = try? await server.get("/api/v1/processing-tasks/\(task)", token: sa.token).body
                let jobs = try? await server.strings("SELECT concat_ws(' ', id, state, attempt, errors::text) FROM jobs ORDER BY id")
                let rows = try? await server.strings("SELECT concat_ws(' ', run_id, count(*), max(time)) FROM track_points GROUP BY run_id")
                worker.signal(SIGTERM)
                let log = await worker.exited(timeout: 30).errors
                Issue.record("\(timeout) (\(updates.withLock { $0.count }) came): task \(state ?? "?"); jobs \(jobs ?? []); rows \(rows ?? []); worker log:\n\(log.suffix(6000))")
                throw timeout
            }
            #expect(close?.closeCode == .normalClosure)
            let texts = updates.withLock { $0 }
            #expect(texts.count == 40)
            let complaints = try await Self.schemaErrors(texts, in: dir)
            #expect(complaints.isEmpty, "\(complaints.prefix(3000))")

            // Each update is a frame of the database: the same camera, frame, time and track ids.
            let stop = try await server.post("/api/v1/processing-tasks/\(task)/stop", token: sa.token, [String: Any]())
            #expect(stop.status == 200)
            let ended = try await ProcessingTaskTests.waitFor(server, task: task, token: sa.token) { $0["state"] as? String != "running" }
            #expect(["cancelled", "completed"].contains(ended["state"] as? String), "\(ended)")
            var frames = Set<Int>()
            for text in texts {
                let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let payload = try #require(json["payload"] as? [String: Any])
                let frame = try #require(payload["global_frame_index"] as? Int)
                let cameras = try #require(payload["cameras"] as? [String: [String: Any]])
                #expect(Array(cameras.keys) == ["\(a.cameras[0])"])
                let tracks = (cameras["\(a.cameras[0])"]?["tracks"] as? [[String: Any]]) ?? []
                let ids = tracks.compactMap { $0["track_id"] as? Int }.sorted()
                let stored = try await server.strings("""
                    SELECT track_id FROM track_points WHERE camera_id = \(a.cameras[0]) AND frame_index = \(frame) ORDER BY track_id
                    """)
                #expect(!ids.isEmpty && ids.map(String.init) == stored, "frame \(frame): socket \(ids), database \(stored)")
                let time = try #require(payload["timestamp"] as? String)
                #expect(try await server.strings("""
                    SELECT count(*) FROM track_points WHERE camera_id = \(a.cameras[0]) AND frame_index = \(frame)
                      AND abs(extract(epoch FROM time - '\(time)'::timestamptz)) < 0.002  -- ISO 8601 with milliseconds
                    """) == ["\(ids.count)"], "frame \(frame) at \(time)")
                frames.insert(frame)
            }
            #expect(frames.count == texts.count, "one update per frame")
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}
