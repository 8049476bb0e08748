import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Synchronization
import NIOHTTP1
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
            try await Self.checkStatistics(server, driver: first, session: session, sessionCamera: camera, day: t0,
                                           others: [second.token, sb.token, op.token])
            try await Self.checkCalibrationAndConfiguration(server, first: first, second: second, supervisor: sa, otherSupervisor: sb,
                                                            measuredBy: id)
            try await Self.checkClientAlerts(server, driver: second, sessionID: theirID, otherDriver: first, supervisor: sa)
            // The supervisors' report: both drivers of tenant A, with the counts of their days; none for tenant B.
            let report = try await server.get("/api/v1/dms/report?period=day&date=\(ISO8601DateFormatter().string(from: t0))", token: sa.token)
            let rows = report["drivers"] as? [[String: Any]] ?? []
            #expect(Set(rows.compactMap { $0["driver"] as? String }) == ["driver-one", "driver-two"], "\(report.body)")
            let firstRow = rows.first { $0["driver"] as? String == "driver-one" }
            let commonest = try await Self.commonestRule(server, camera: camera)
            #expect(firstRow?["alerts"] as? Int == session["total_alerts"] as? Int && firstRow?["most_common_alert"] as? String == commonest,
                    "\(report.body)")
            let otherReport = try await server.get("/api/v1/dms/report", token: sb.token)
            #expect(otherReport.status == 200 && (otherReport["drivers"] as? [[String: Any]])?.isEmpty == true, "\(otherReport.body)")
            #expect(try await server.get("/api/v1/dms/report", token: first.token).status == 403)
            #expect(try await server.get("/api/v1/dms/report", token: op.token).status == 403)

            // A supervisor names the driver; tenant B's supervisor cannot. The session's pipeline instance is
            // given the driver's calibration, thresholds and rules.
            #expect(try await server.post("/api/v1/dms/sessions/start", token: sb.token, ["driver_id": first.id]).status == 404)
            let bySupervisor = try await server.post("/api/v1/dms/sessions/start", token: sa.token, ["driver_id": first.id])
            #expect(bySupervisor.status == 201 && bySupervisor["driver"] as? String == "driver-one", "\(bySupervisor.body)")
            let calibrated = try #require(try await server.get("/api/v1/dms/drivers/\(first.id)/calibration", token: sa.token)["ear_baseline"] as? Double)
            if let again = bySupervisor["id"] as? Int, let task = bySupervisor["task_id"] as? Int {
                let variables = try await Self.variables(server, task: task)
                #expect(variables["DRIVER_ID"] == first.id.lowercased())
                // (JSONSerialization may read the response's last digit differently.)
                #expect(abs((variables["DMS_EAR_BASELINE"].flatMap(Double.init) ?? 0) - calibrated) < 1e-12, "\(variables)")
                #expect(variables["DMS_DROWSINESS_RATIO"] == "0.7" && variables["DMS_DROWSINESS_ENABLED"] == "true"
                        && variables["DMS_NO_FACE_ENABLED"] == "false", "\(variables)")
                #expect(try await server.post("/api/v1/dms/sessions/\(again)/end", token: sa.token, [String: Any]()).status == 200)
            }
            // A calibration session measures: every rule off, no stored calibration given.
            let calibration = try await server.post("/api/v1/dms/sessions/start", token: second.token, ["kind": "calibration"])
            #expect(calibration.status == 201 && calibration["kind"] as? String == "calibration", "\(calibration.body)")
            if let cid = calibration["id"] as? Int, let task = calibration["task_id"] as? Int {
                let variables = try await Self.variables(server, task: task)
                #expect(variables["DMS_EAR_BASELINE"] == nil && variables["DMS_DROWSINESS_ENABLED"] == "false"
                        && variables["DMS_YAWN_ENABLED"] == "false", "\(variables)")
                #expect(try await server.post("/api/v1/dms/sessions/\(cid)/end", token: second.token, [String: Any]()).status == 200)
            }
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }

    /// The rule of most of the camera's alerts (ties: the first by name).
    static func commonestRule(_ server: TestServer, camera: Int) async throws -> String? {
        try await server.strings("""
            SELECT rule FROM events WHERE camera_id = \(camera) AND alert_id IS NOT NULL GROUP BY rule ORDER BY count(*) DESC, rule LIMIT 1
            """).first
    }

    /// The variables the task's job passes to the pipeline.
    static func variables(_ server: TestServer, task: Int) async throws -> [String: String] {
        let json = try await server.strings("""
            SELECT j.args->'variables' FROM jobs j JOIN processing_task_cameras tc ON tc.job_id = j.id WHERE tc.task_id = \(task)
            """).first ?? "{}"
        return (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: String] ?? [:]
    }

    /// The driver's daily statistics and day analytics agree with the events of their session; nobody else sees them.
    static func checkStatistics(_ server: TestServer, driver: TestServer.Account, session: [String: Any], sessionCamera: Int, day: Date,
                                others: [String]) async throws {
        let events = try await server.strings("""
            SELECT count(*), count(*) FILTER (WHERE severity = 'critical'), count(*) FILTER (WHERE severity = 'warning'),
                   count(*) FILTER (WHERE rule = 'drowsiness')
            FROM events WHERE camera_id = \(sessionCamera) AND alert_id IS NOT NULL
            """).first?.split(separator: "|").compactMap { Int($0) } ?? []
        #expect(events.count == 4 && events[0] == session["total_alerts"] as? Int)
        let date = ISO8601DateFormatter().string(from: day)
        let daily = try await server.get("/api/v1/dms/drivers/\(driver.id)/statistics/daily", token: driver.token)
        let days = daily["days"] as? [[String: Any]] ?? []
        #expect(days.count == 1 && days.first?["alerts"] as? Int == events.first && (days.first?["monitored_seconds"] as? Double ?? 0) > 0,
                "\(daily.body)")
        let analytics = try await server.get("/api/v1/dms/drivers/\(driver.id)/analytics?period=day&date=\(date)", token: driver.token)
        #expect(analytics.status == 200, "\(analytics.body)")
        let severity = analytics["severity_breakdown"] as? [String: Int] ?? [:]
        #expect(analytics["alerts"] as? Int == events.first && severity["critical"] == events[1] && severity["warning"] == events[2],
                "\(analytics.body)")
        #expect((analytics["hourly_distribution"] as? [Int])?.reduce(0, +) == events.first)
        let common = analytics["most_common_alerts"] as? [[String: Any]] ?? []
        #expect(common.first?["rule"] as? String == (try await commonestRule(server, camera: sessionCamera)), "\(analytics.body)")
        #expect(common.contains { $0["rule"] as? String == "drowsiness" && $0["count"] as? Int == events[3] }, "\(analytics.body)")
        #expect(analytics["sessions"] as? Int == 1)
        // Critical alerts in a few monitored seconds: a high risk, as the daily row's formula gives it.
        let risk = analytics["risk_score"] as? Double ?? -1
        #expect(risk > 50 && risk <= 100 && abs(risk - (days.first?["risk_score"] as? Double ?? -1)) < 1e-9, "\(analytics.body)")
        let history = try await server.get("/api/v1/dms/drivers/\(driver.id)/alerts?severity=critical", token: driver.token)
        #expect((history["events"] as? [[String: Any]])?.count == events[1], "\(history.body)")
        for token in others {
            for path in ["statistics/daily", "analytics", "alerts", "calibration", "configuration"] {
                #expect(try await server.get("/api/v1/dms/drivers/\(driver.id)/\(path)", token: token).status == 404, "\(path)")
            }
        }
    }

    /// The first session measured the driver's calibration; supervisors set thresholds, rules and a
    /// calibration by hand, drivers only read theirs.
    static func checkCalibrationAndConfiguration(_ server: TestServer, first: TestServer.Account, second: TestServer.Account,
                                                 supervisor: TestServer.Account, otherSupervisor: TestServer.Account, measuredBy session: Int) async throws {
        let measured = try await server.get("/api/v1/dms/drivers/\(first.id)/calibration", token: first.token)
        #expect(measured.status == 200 && measured["source"] as? String == "measured" && measured["session_id"] as? Int == session, "\(measured.body)")
        #expect((0.1...0.6).contains(measured["ear_baseline"] as? Double ?? 0), "\(measured.body)")
        #expect(try await server.get("/api/v1/dms/drivers/\(second.id)/calibration", token: second.token).status == 404)

        let path = "/api/v1/dms/drivers/\(first.id)/configuration"
        let defaults = try await server.get(path, token: first.token)
        #expect((defaults["thresholds"] as? [String: Double])?["drowsiness_ratio"] == 0.75, "\(defaults.body)")
        #expect(Set(defaults["rules"] as? [String] ?? []) == ["drowsiness", "yawn", "no_face", "looking_away"], "\(defaults.body)")
        let change: [String: Any] = ["thresholds": ["drowsiness_ratio": 0.7, "head_turn_degrees": 25], "enabled_rules": ["drowsiness", "yawn"]]
        #expect(try await server.request(.PUT, path, token: first.token, json: change).status == 403)
        #expect(try await server.request(.PUT, path, token: otherSupervisor.token, json: change).status == 404)
        #expect(try await server.request(.PUT, path, token: supervisor.token, json: ["thresholds": ["eyes": 1]]).status == 422)
        #expect(try await server.request(.PUT, path, token: supervisor.token, json: ["thresholds": ["drowsiness_ratio": 2]]).status == 422)
        #expect(try await server.request(.PUT, path, token: supervisor.token, json: ["enabled_rules": ["sneezing"]]).status == 422)
        let set = try await server.request(.PUT, path, token: supervisor.token, json: change)
        #expect(set.status == 200, "\(set.body)")
        let now = try await server.get(path, token: first.token)
        let thresholds = now["thresholds"] as? [String: Double] ?? [:]
        #expect(thresholds["drowsiness_ratio"] == 0.7 && thresholds["head_turn_degrees"] == 25 && thresholds["yawn_mar"] == 0.6, "\(now.body)")
        #expect((now["defaults"] as? [String: Double])?["drowsiness_ratio"] == 0.75)
        #expect(now["enabled_rules"] as? [String] == ["drowsiness", "yawn"], "\(now.body)")

        let calibration = "/api/v1/dms/drivers/\(second.id)/calibration"
        #expect(try await server.request(.PUT, calibration, token: second.token, json: ["ear_baseline": 0.3]).status == 403)
        #expect(try await server.request(.PUT, calibration, token: supervisor.token, json: ["ear_baseline": 3]).status == 422)
        let manual = try await server.request(.PUT, calibration, token: supervisor.token, json: ["ear_baseline": 0.31, "yaw_neutral": -4])
        #expect(manual.status == 200 && manual["source"] as? String == "manual" && manual["yaw_neutral"] as? Double == -4, "\(manual.body)")
        #expect(try await server.request(.DELETE, calibration, token: otherSupervisor.token).status == 404)
        #expect(try await server.request(.DELETE, calibration, token: supervisor.token).status == 204)
        #expect(try await server.get(calibration, token: supervisor.token).status == 404)
    }

    /// An alert the driver's app raises counts in its session and the driver's statistics; only while it runs.
    static func checkClientAlerts(_ server: TestServer, driver: TestServer.Account, sessionID ended: Int, otherDriver: TestServer.Account,
                                  supervisor: TestServer.Account) async throws {
        let started = try await server.post("/api/v1/dms/sessions/start", token: driver.token, [String: Any]())
        let id = try #require(started["id"] as? Int, "\(started.body)")
        let alert: [String: Any] = ["rule": "phone_use", "severity": "critical", "duration": 3.5, "metrics": ["ear": 0.27, "yaw": 12.5]]
        #expect(try await server.post("/api/v1/dms/sessions/\(ended)/alerts", token: driver.token, alert).status == 409)
        #expect(try await server.post("/api/v1/dms/sessions/\(id)/alerts", token: otherDriver.token, alert).status == 404)
        #expect(try await server.post("/api/v1/dms/sessions/\(id)/alerts", token: driver.token, ["rule": "Phone Use"]).status == 422)
        // The supervisor's dashboard, subscribed to alerts on /ws, is told of it as it is stored.
        let alertJSON = String(decoding: try JSONSerialization.data(withJSONObject: alert), as: UTF8.self)
        let pushed = Mutex<[String]>([])
        let raisedBody = Mutex<String>("")
        _ = try await withDeadline("the client alert on the supervisor's socket", timeout: .seconds(60)) {
            try await PushFramesTests.connect(server, token: supervisor.token) { messages, outbound in
                var messages = messages
                _ = try await messages.next()   // authenticated
                try await outbound.write(.text(#"{"type":"subscribe","channel":"alerts"}"#))
                _ = try await messages.next()   // subscribed
                let reply = try await server.request(.POST, "/api/v1/dms/sessions/\(id)/alerts", token: driver.token, body: alertJSON,
                                                     headers: [("Content-Type", "application/json")])
                raisedBody.withLock { $0 = "\(reply.status) \(reply.body)" }
                while pushed.withLock({ $0.count }) < 2, let message = try await messages.next() {
                    if case .text(let text) = message, PushFramesTests.json(text)["type"] as? String == "alert" { pushed.withLock { $0.append(text) } }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
        let told = pushed.withLock { $0 }.map(PushFramesTests.json)
        #expect(told.map { $0["phase"] as? String } == ["start", "end"], "\(told)")
        #expect(told.allSatisfy { ($0["event"] as? [String: Any])?["rule"] as? String == "phone_use" }, "\(told)")
        let raised = TestServer.Reply(status: Int(raisedBody.withLock { $0 }.prefix(3)) ?? 0, headers: [:],
                                      body: String(raisedBody.withLock { $0 }.dropFirst(4)))
        #expect(raised.status == 201 && raised["kind"] as? String == "client" && raised["duration"] as? Double == 3.5, "\(raised.body)")
        let attributes = raised["attributes"] as? [String: Any] ?? [:]
        #expect(attributes["ear"] as? Double == 0.27 && attributes["subject"] as? String == driver.id.lowercased(), "\(raised.body)")
        let listed = try await server.get("/api/v1/dms/sessions/\(id)/alerts", token: supervisor.token)
        #expect((listed["events"] as? [[String: Any]])?.map { $0["rule"] as? String } == ["phone_use"], "\(listed.body)")
        let closed = try await server.post("/api/v1/dms/sessions/\(id)/end", token: driver.token, [String: Any]())
        #expect(closed["total_alerts"] as? Int == 1 && closed["drowsiness_alerts"] as? Int == 0, "\(closed.body)")
        let daily = try await server.get("/api/v1/dms/drivers/\(driver.id)/statistics/daily", token: driver.token)
        let day = (daily["days"] as? [[String: Any]])?.first ?? [:]
        #expect(day["critical"] as? Int == 1 && (day["by_rule"] as? [String: Int])?["phone_use"] == 1, "\(daily.body)")
    }
}
