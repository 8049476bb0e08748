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

/// Frames pushed by clients (`push` cameras): over the WebSocket into `Pipelines/driver-monitoring.yaml`
/// run by a real `vigil worker` with the real face models, the alerts come back on the pushing socket
/// and on `alerts` subscriptions of the same tenant only, and are in the database; over HTTP, what
/// cannot be taken is refused with its reason and stores nothing.
@Suite("Frames pushed by clients", .serialized) struct PushFramesTests {
    static let clip = ServeProcessTests.packageRoot.appendingPathComponent("samples/carphone_pristine.mp4").path

    /// carphone_pristine.mp4 with its blink at frame 93 held for 2 s (as the driver-monitoring CLI test
    /// makes it), as JPEG files, one per frame.
    static func drowsyFrames(in dir: String) async throws -> [[UInt8]] {
        let made = try await ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-i", clip, "-vf", "loop=loop=60:size=1:start=93,setpts=N/30/TB",
                                               "-q:v", "3", "\(dir)/frame%04d.jpg"])
        try #require(made.status == 0, "ffmpeg: \(made.errors)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("frame") }.sorted()
        return try names.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\($0)"))) }
    }

    static func worker(_ server: TestServer, directory: String) throws -> ChildProcess {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = server.database.url.uri
        env["DRIVER_ID"] = "driver-push"
        if env["VIGIL_MODELS"]?.isEmpty ?? true { env["VIGIL_MODELS"] = ServeProcessTests.packageRoot.appendingPathComponent("models").path }
        return try ChildProcess([ServeProcessTests.binary, "worker", "--name", "push-worker", "--heartbeat", "0.5", "--lease", "5",
                                 "--poll", "1", "--jobs-dir", "none", "--log-level", "info"],
                                environment: env, directory: directory, stdout: .discard, stderr: .capture)
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func connect(_ server: TestServer, token: String,
                        _ script: @escaping @Sendable (WebSocketInboundMessageStream.AsyncIterator, WebSocketOutboundWriter) async throws -> Void)
        async throws -> WebSocketCloseFrame? {
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = [.authorization: "Bearer \(token)"]
        return try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/ws", configuration: configuration,
                                                 logger: Logger(label: "test.ws.push")) { inbound, outbound, _ in
            try await script(inbound.messages(maxSize: 1 << 20).makeAsyncIterator(), outbound)
        }
    }

    @Test func framesPushedOverTheWebSocketRaiseAlertsThatComeBackAndAreStored() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-push-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/frames", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let frames = try await Self.drowsyFrames(in: dir + "/frames")
        try #require(frames.count > 150)
        let pipeline = ServeProcessTests.packageRoot.appendingPathComponent("Pipelines/driver-monitoring.yaml").path
        try FileManager.default.copyItem(atPath: pipeline, toPath: dir + "/driver-monitoring.yaml")
        try await TestServer.with({ $0.pipelinesDirectory = dir; $0.ingest.framesPerSecond = 1000; $0.ingest.retention = 600 }) { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-phone"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["b-phone"])
            for camera in [a.cameras[0], b.cameras[0]] {
                #expect(try await server.request(.PATCH, "/api/v1/cameras/\(camera)", token: admin.token, json: ["url": "push:"]).status == 200)
            }
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let worker = try Self.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }
            let started = try await server.post("/api/v1/processing-tasks/start", token: sa.token,
                                                ["pipeline": "driver-monitoring", "mode": "stream", "camera_ids": [a.cameras[0]]])
            let task = try #require(started["task_id"] as? Int, "\(started.body)")
            // Frames go once the worker runs the task (its source also takes frames from 10 s before it started).
            let clock = ContinuousClock(), deadline = clock.now + .seconds(240)
            while try await server.strings("SELECT count(*) FROM runs") == ["0"] {
                guard clock.now < deadline, worker.isRunning else {
                    worker.signal(SIGTERM)
                    Issue.record("the worker never ran the task; its log:\n\((await worker.exited(timeout: 30)).errors.suffix(4000))")
                    return
                }
                try await Task.sleep(for: .milliseconds(200))
            }

            // Tenant A's other connection subscribes to alerts; tenant B's does too and must get nothing.
            let seenByA = Inbox(), seenByB = Inbox()
            let listeners = [(sa.token, seenByA), (sb.token, seenByB)].map { token, seen in
                Task {
                    try await withDeadline("an alerts subscription", timeout: .seconds(400)) {
                        try await Self.connect(server, token: token) { messages, outbound in
                            var messages = messages
                            _ = try await messages.next()
                            try await outbound.write(.text(#"{"type":"subscribe","channel":"alerts"}"#))
                            while let message = try await messages.next() {
                                guard case .text(let text) = message else { continue }
                                seen.texts.withLock { $0.append(text) }
                                if text.contains("\"stop-listening\"") { break }
                            }
                        }
                    }
                }
            }
            defer { for listener in listeners { listener.cancel() } }

            let replies = Inbox(), alerts = Inbox()
            let t0 = Date()
            let camera = a.cameras[0], other = b.cameras[0]
            do {
            _ = try await withDeadline("pushing the frames and their alerts", timeout: .seconds(300)) {
                try await Self.connect(server, token: sa.token) { messages, outbound in
                    var messages = messages
                    _ = try await messages.next()  // authenticated
                    func next() async throws -> [String: Any] {
                        while let message = try await messages.next() {
                            guard case .text(let text) = message else { continue }
                            let json = Self.json(text)
                            if json["type"] as? String == "alert" { alerts.texts.withLock { $0.append(text) } } else { return json }
                        }
                        return [:]
                    }
                    func frame(_ camera: Int, _ data: String, at index: Int) async throws -> [String: Any] {
                        let format = ISO8601DateFormatter()
                        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                        let time = format.string(from: t0.addingTimeInterval(Double(index) / 30))
                        try await outbound.write(.text(#"{"type":"frame","camera_id":\#(camera),"data":"\#(data)","timestamp":"\#(time)"}"#))
                        let reply = try await next()
                        replies.texts.withLock { $0.append(reply["type"] as? String ?? "") }
                        return reply
                    }
                    // The clip, then its last frame for another second so the eyes are seen open again.
                    let sequence = frames + Array(repeating: frames[frames.count - 1], count: 30)
                    for (index, jpeg) in sequence.enumerated() {
                        if index == 50 {
                            // Garbage, and another tenant's camera: an error each, and the session goes on.
                            #expect(try await frame(camera, Data("not a picture".utf8).base64EncodedString(), at: index)["code"] as? String == "bad_frame")
                            #expect(try await frame(other, Data(jpeg).base64EncodedString(), at: index)["code"] as? String == "not_found")
                        }
                        let reply = try await frame(camera, Data(jpeg).base64EncodedString(), at: index)
                        #expect(reply["type"] as? String == "frame_accepted", "\(reply)")
                    }
                    // The alert comes back on this socket when the worker gets there.
                    while !alerts.texts.withLock({ $0.contains { Self.json($0)["phase"] as? String == "end" } }) {
                        guard let message = try await messages.next() else { break }
                        if case .text(let text) = message, Self.json(text)["type"] as? String == "alert" {
                            alerts.texts.withLock { $0.append(text) }
                        }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
            } catch let timeout as WaitTimeout {
                let stored = try? await server.strings("SELECT concat_ws(' ', id, rule, phase, time) FROM events")
                worker.signal(SIGTERM)
                let log = await worker.exited(timeout: 30).errors
                let seen = alerts.texts.withLock { $0 }, answered = replies.texts.withLock { $0.count }
                Issue.record("\(timeout): alerts on the socket \(seen); replies \(answered); events stored \(stored ?? []); worker log:\n\(log.suffix(5000))")
                throw timeout
            }
            let got = alerts.texts.withLock { $0 }.map(Self.json)
            let events = got.compactMap { $0["event"] as? [String: Any] }
            #expect(Set(events.compactMap { $0["rule"] as? String }) == ["drowsiness"], "\(got)")
            #expect(got.first?["phase"] as? String == "start" && got.last?["phase"] as? String == "end", "\(got)")
            #expect(events.allSatisfy { $0["camera_id"] as? Int == camera && $0["severity"] as? String == "critical" })
            #expect(replies.texts.withLock { $0.filter { $0 == "frame_accepted" }.count } == frames.count + 30)

            // Stored: the alert row (ended), and the pushed frames' capture times became the events' times.
            #expect(try await server.strings("SELECT rule, phase, camera_id FROM events WHERE alert_id IS NOT NULL") == ["drowsiness|end|\(camera)"])
            let id = try #require(events.last?["id"] as? Int)
            #expect(try await server.strings("""
                SELECT count(*) FROM events WHERE id = \(id) AND time BETWEEN '\(t0.formatted(.iso8601))'::timestamptz AND '\(t0.formatted(.iso8601))'::timestamptz + interval '10 s'
                """) == ["1"])
            // The subscription of tenant A got the same alert; tenant B's nothing beyond its confirmation.
            try await Task.sleep(for: .seconds(1))
            #expect(seenByA.texts.withLock { $0 }.contains { $0.contains("\"alert\"") && $0.contains("\"id\":\(id)") })
            #expect(seenByB.texts.withLock { $0 }.allSatisfy { !$0.contains("\"alert\"") }, "\(seenByB.texts.withLock { $0 })")

            let stop = try await server.post("/api/v1/processing-tasks/\(task)/stop", token: sa.token, [String: Any]())
            #expect(stop.status == 200)
            let ended = try await ProcessingTaskTests.waitFor(server, task: task, token: sa.token) { $0["state"] as? String != "running" }
            #expect(["cancelled", "completed"].contains(ended["state"] as? String), "\(ended)")
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}


extension PushFramesTests {
    @Test func httpIngestTakesAWholeJPEGAndRefusesTheRestStoringNothing() async throws {
        let small = try await JPEGHeaderTests.ffmpegJPEG()
        let large = try await JPEGHeaderTests.ffmpegJPEG(["-vf", "scale=1280:960", "-q:v", "1"])
        try #require(small.count < 20_000 && large.count > 20_000, "\(small.count) and \(large.count) bytes")
        try await TestServer.with({ $0.ingest.maxFrameBytes = 20_000; $0.ingest.framesPerSecond = 3 }) { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-phone", "a-rtsp"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["b-phone"])
            for camera in [a.cameras[0], b.cameras[0]] {
                #expect(try await server.request(.PATCH, "/api/v1/cameras/\(camera)", token: admin.token, json: ["url": "push:"]).status == 200)
            }
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let viewer = try await server.account("viewer-a", role: .viewer, tenant: a.id)
            let jpeg = [("Content-Type", "image/jpeg")]
            func push(_ camera: Int, _ bytes: [UInt8], token: String?, headers: [(String, String)] = jpeg,
                      query: String = "") async throws -> TestServer.Reply {
                try await server.request(.POST, "/api/v1/ingest/\(camera)\(query)", token: token, bytes: bytes, headers: headers)
            }
            let stored = { try await server.strings("SELECT count(*) FROM pushed_frames") }

            let ok = try await push(a.cameras[0], small, token: sa.token, query: "?captured_at=2026-12-01T10:00:00.040Z")
            #expect(ok.status == 202, "\(ok.body)")
            #expect(ok["width"] as? Int == 176 && ok["height"] as? Int == 144 && (ok["seq"] as? Int ?? 0) > 0)
            #expect(try await server.strings("SELECT camera_id, captured_at = '2026-12-01T10:00:00.040Z', length(jpeg) FROM pushed_frames")
                    == ["\(a.cameras[0])|true|\(small.count)"])

            // Refused, with the reason, and nothing stored.
            let refusals: [(TestServer.Reply, Int, String?)] = [
                (try await push(a.cameras[0], Array("not a picture".utf8), token: sa.token), 400, "bad_frame"),
                (try await push(a.cameras[0], Array(small.dropLast(200)), token: sa.token), 400, "bad_frame"),
                (try await push(a.cameras[0], large, token: sa.token), 413, "too_large"),
                (try await push(a.cameras[0], small, token: sa.token, headers: [("Content-Type", "text/plain")]), 415, nil),
                (try await push(a.cameras[1], small, token: sa.token), 409, "not_push_camera"),
                (try await push(b.cameras[0], small, token: sa.token), 404, "not_found"),     // another tenant's
                (try await push(999_999, small, token: sa.token), 404, "not_found"),
                (try await push(a.cameras[0], small, token: viewer.token), 403, "forbidden"),
                (try await push(a.cameras[0], small, token: nil), 401, nil),
                (try await push(a.cameras[0], small, token: sa.token, query: "?captured_at=yesterday"), 400, nil),
            ]
            for (reply, status, code) in refusals {
                #expect(reply.status == status, "\(reply.body)")
                if let code { #expect(reply.errorCode == code, "\(reply.body)") }
            }
            #expect(try await stored() == ["1"])
            // More than 3 a second for one camera: some are refused with Retry-After, the others stored.
            var statuses: [Int] = []
            for _ in 0..<8 {
                let reply = try await push(a.cameras[0], small, token: sa.token)
                statuses.append(reply.status)
                if reply.status == 429 { #expect(reply.headers.first(name: "Retry-After") != nil && reply.errorCode == "rate_limited") }
            }
            #expect(statuses.contains(429) && statuses.allSatisfy { $0 == 202 || $0 == 429 }, "\(statuses)")
            #expect(try await stored() == ["\(1 + statuses.filter { $0 == 202 }.count)"])
            let metrics = try await server.get("/metrics").body
            #expect(metrics.contains("vigil_ingest_frames_total{result=\"bad_frame\"}") && metrics.contains("result=\"too_large\""))
        }
    }
}

/// Texts a socket received, shared with the test.
private final class Inbox: Sendable {
    let texts = Mutex<[String]>([])
}
