import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Synchronization
import NIOWebSocket
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// Driver monitoring sessions over a real server, a real `vigil worker` with the real face models and
/// PostgreSQL. A driver authenticates on the WebSocket, sends `start_monitoring`, pushes the frames of
/// carphone_pristine.mp4 with its blink held for 2 s, gets the drowsiness alert back and ends with
/// `stop_monitoring`: the session keeps its duration and counts, which agree with the events table. The
/// other driver of the tenant sees none of it, the supervisor sees both drivers' sessions, and another
/// tenant, operators and viewers see none.
@Suite("Driver monitoring sessions", .serialized) struct DMSTests {
    @Test func aDriversSessionKeepsItsAlertCountsAndOnlyTheDriverAndTheSupervisorSeeIt() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-dms-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/frames", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let frames = try await PushFramesTests.drowsyFrames(in: dir + "/frames")
        let pipeline = ServeProcessTests.packageRoot.appendingPathComponent("Pipelines/driver-monitoring.yaml").path
        try FileManager.default.copyItem(atPath: pipeline, toPath: dir + "/driver-monitoring.yaml")
        try await TestServer.with({ $0.pipelinesDirectory = dir; $0.ingest.framesPerSecond = 1000; $0.ingest.retention = 600 }) { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: [])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: [])
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let first = try await server.account("driver-one", role: .driver, tenant: a.id)
            let second = try await server.account("driver-two", role: .driver, tenant: a.id)
            let op = try await server.account("operator-a", role: .operator, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let worker = try PushFramesTests.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }

            // Only drivers are monitored; an operator cannot start a session for anyone.
            #expect(try await server.post("/api/v1/dms/sessions/start", token: op.token, [String: Any]()).status == 403)
            #expect(try await server.post("/api/v1/dms/sessions/start", token: sa.token, [String: Any]()).status == 403)

            let ended = Mutex<String>("")
            let alerts = Mutex<[String]>([])
            let t0 = Date()
            _ = try await withDeadline("the driver's monitoring session", timeout: .seconds(400)) {
                try await PushFramesTests.connect(server, token: first.token) { messages, outbound in
                    var messages = messages
                    _ = try await messages.next()   // authenticated
                    func next() async throws -> [String: Any] {
                        while let message = try await messages.next() {
                            guard case .text(let text) = message else { continue }
                            let json = PushFramesTests.json(text)
                            if json["type"] as? String == "alert" { alerts.withLock { $0.append(text) } } else { return json }
                        }
                        return [:]
                    }
                    try await outbound.write(.text(#"{"type":"start_monitoring"}"#))
                    let started = try await next()
                    #expect(started["type"] as? String == "monitoring_started", "\(started)")
                    // A second start while one runs: refused, and the session goes on.
                    try await outbound.write(.text(#"{"type":"start_monitoring"}"#))
                    #expect(try await next()["code"] as? String == "conflict")
                    // Frames go once the worker runs the session's task (its source also takes the last 10 s).
                    let deadline = ContinuousClock.now + .seconds(240)
                    while try await server.strings("SELECT count(*) FROM runs") == ["0"], ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    let format = ISO8601DateFormatter()
                    format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                    for (index, jpeg) in (frames + Array(repeating: frames[frames.count - 1], count: 30)).enumerated() {
                        let time = format.string(from: t0.addingTimeInterval(Double(index) / 30))
                        try await outbound.write(.text(#"{"type":"frame","data":"\#(Data(jpeg).base64EncodedString())","timestamp":"\#(time)"}"#))
                        let reply = try await next()
                        #expect(reply["type"] as? String == "frame_accepted", "\(reply)")
                    }
                    // The drowsiness alert comes back on this socket; then the session ends.
                    while !alerts.withLock({ $0.contains { PushFramesTests.json($0)["phase"] as? String == "end" } }) {
                        guard let message = try await messages.next() else { break }
                        if case .text(let text) = message, PushFramesTests.json(text)["type"] as? String == "alert" { alerts.withLock { $0.append(text) } }
                    }
                    try await outbound.write(.text(#"{"type":"stop_monitoring"}"#))
                    let text = String(decoding: try JSONSerialization.data(withJSONObject: try await next()), as: UTF8.self)
                    ended.withLock { $0 = text }
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
            let stop = PushFramesTests.json(ended.withLock { $0 })
            #expect(stop["type"] as? String == "monitoring_ended", "\(stop)")
            let session = try #require(stop["session"] as? [String: Any])
            let id = try #require(session["id"] as? Int)
            let camera = try #require(session["camera_id"] as? Int)
            #expect(session["state"] as? String == "ended" && (session["duration"] as? Double ?? 0) > 0)
            #expect(alerts.withLock { $0 }.contains { $0.contains("drowsiness") })
            // The counts agree with the events table (the camera's alerts during the session).
            let counted = try await server.strings("""
                SELECT count(*), count(*) FILTER (WHERE rule = 'drowsiness'), count(*) FILTER (WHERE rule IN ('no_face', 'looking_away')),
                       count(*) FILTER (WHERE rule = 'yawn')
                FROM events WHERE camera_id = \(camera) AND alert_id IS NOT NULL
                """)
            let kept = [session["total_alerts"], session["drowsiness_alerts"], session["distraction_alerts"], session["yawn_alerts"]]
                .map { String(describing: $0 as? Int ?? -1) }.joined(separator: "|")
            #expect(counted == [kept], "events \(counted), session \(kept)")
            #expect((session["drowsiness_alerts"] as? Int ?? 0) >= 1)

            // The other driver: a session of their own over REST (started, ended at once), none of the first's.
            let theirs = try await server.post("/api/v1/dms/sessions/start", token: second.token, [String: Any]())
            #expect(theirs.status == 201, "\(theirs.body)")
            let theirID = try #require(theirs["id"] as? Int)
            #expect(try await server.post("/api/v1/dms/sessions/start", token: second.token, [String: Any]()).status == 409)
            let closed = try await server.post("/api/v1/dms/sessions/\(theirID)/end", token: second.token, [String: Any]())
            #expect(closed.status == 200 && closed["total_alerts"] as? Int == 0, "\(closed.body)")
            #expect(try await server.post("/api/v1/dms/sessions/\(theirID)/end", token: second.token, [String: Any]()).status == 409)
            func ids(_ token: String) async throws -> [Int] {
                ((try await server.get("/api/v1/dms/sessions", token: token))["sessions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }.sorted()
            }
            #expect(try await ids(first.token) == [id])
            #expect(try await ids(second.token) == [theirID])
            #expect(try await ids(sa.token) == [id, theirID].sorted())
            #expect(try await ids(sb.token).isEmpty)
            #expect(try await ids(op.token).isEmpty)
            for token in [second.token, sb.token, op.token] {
                #expect(try await server.get("/api/v1/dms/sessions/\(id)", token: token).status == 404)
                #expect(try await server.get("/api/v1/dms/sessions/\(id)/alerts", token: token).status == 404)
                #expect(try await server.post("/api/v1/dms/sessions/\(id)/end", token: token, [String: Any]()).status == 404)
            }
            // The session's alerts with their measurements, for the driver and the supervisor.
            for token in [first.token, sa.token] {
                let list = try await server.get("/api/v1/dms/sessions/\(id)/alerts", token: token)
                let events = list["events"] as? [[String: Any]] ?? []
                #expect(events.count == session["total_alerts"] as? Int && events.contains { $0["rule"] as? String == "drowsiness" && $0["value"] is Double })
            }
            // A supervisor names the driver; tenant B's supervisor cannot.
            #expect(try await server.post("/api/v1/dms/sessions/start", token: sb.token, ["driver_id": first.id]).status == 404)
            let bySupervisor = try await server.post("/api/v1/dms/sessions/start", token: sa.token, ["driver_id": first.id])
            #expect(bySupervisor.status == 201 && bySupervisor["driver"] as? String == "driver-one", "\(bySupervisor.body)")
            if let again = bySupervisor["id"] as? Int {
                #expect(try await server.post("/api/v1/dms/sessions/\(again)/end", token: sa.token, [String: Any]()).status == 200)
            }
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}
