import Foundation
import NIOHTTP1
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// `/api/v1/analytics` over a real server, a real `vigil worker` and PostgreSQL: live tasks on two
/// tenants' cameras show up in each tenant's real-time metrics and active persons, never in the other's;
/// period analytics count tracks, events by bucket, severity and hour, the most common alerts and the
/// daily risk of the caller's cameras only.
@Suite("Analytics (API)", .serialized) struct AnalyticsAPITests {
    /// A looped recording, motion labelled as people (vtest.avi's moving blobs are pedestrians), times from
    /// the run's start, so the rows are "now".
    static func livePipeline(in dir: String, databaseURI: String) throws {
        try """
            sources:
              cam: {type: video, url: placeholder.avi, loop: true}
            stages:
              moving: {type: detect, inputs: [cam], kind: motion, label: person}
              tracks: {type: track, inputs: [moving]}
            sinks:
              db: {type: postgres, inputs: [tracks], url: "\(databaseURI)", batch_age: 200ms}
            """.write(toFile: "\(dir)/now.yaml", atomically: true, encoding: .utf8)
    }

    @Test func realTimeAndPeriodAnalyticsOfTheCallersCamerasOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-analytics-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestServer.with({ $0.pipelinesDirectory = dir }) { server in
            try Self.livePipeline(in: dir, databaseURI: server.database.url.uri)
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-plaza"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["b-secret"])
            for camera in a.cameras + b.cameras {
                #expect(try await server.request(.PATCH, "/api/v1/cameras/\(camera)", token: admin.token,
                                                 json: ["url": ProcessingTaskTests.vtest]).status == 200)
            }
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            let idle = try await server.account("viewer-a", role: .viewer, tenant: a.id)

            // Refused with the parameter named.
            for path in ["real-time/metrics?window=0s", "real-time/metrics?window=1h", "period?period=decade", "period?date=yesterday",
                         "real-time/active-persons?cameras=x"] {
                let reply = try await server.get("/api/v1/analytics/\(path)", token: sa.token)
                #expect(reply.status == 400 && reply.errorCode == "invalid_parameter", "\(path): \(reply.body)")
            }

            let worker = try ProcessingTaskTests.worker(server, directory: dir)
            defer { if worker.isRunning { worker.signal(SIGKILL) } }
            var tasks: [(token: String, id: Int)] = []
            for (token, cameras) in [(sa.token, a.cameras), (sb.token, b.cameras)] {
                let started = try await server.post("/api/v1/processing-tasks/start", token: token,
                                                    ["pipeline": "now", "mode": "stream", "camera_ids": cameras])
                tasks.append((token, try #require(started["task_id"] as? Int, "\(started.body)")))
            }

            // Real time: each supervisor sees their camera processing with people on it, and only that camera.
            for (token, own) in [(sa.token, a.cameras[0]), (sb.token, b.cameras[0])] {
                var metrics: [String: Any] = [:]
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline {
                    metrics = try await server.get("/api/v1/analytics/real-time/metrics?window=30s", token: token).json ?? [:]
                    if (metrics["active_persons"] as? Int ?? 0) > 0 && (metrics["cameras_processing"] as? Int ?? 0) == 1 { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                let cameras = (metrics["cameras"] as? [[String: Any]]) ?? []
                #expect(cameras.compactMap { $0["camera_id"] as? Int } == [own], "\(metrics)")
                #expect((cameras.first?["frames_per_second"] as? Double ?? 0) > 0)
                #expect((metrics["active_tracks"] as? Int ?? 0) >= (metrics["active_persons"] as? Int ?? 0))
                let active = try await server.get("/api/v1/analytics/real-time/active-persons?window=30s", token: token)
                let tracks = (active["tracks"] as? [[String: Any]]) ?? []
                #expect(!tracks.isEmpty && tracks.allSatisfy { $0["camera_id"] as? Int == own && $0["label"] as? String == "person" })
                for track in tracks.prefix(5) {
                    let id = try #require(track["track_id"] as? Int)
                    #expect(try await server.strings("SELECT count(*) > 0 FROM track_points WHERE camera_id = \(own) AND track_id = \(id)") == ["true"])
                    #expect((track["bbox_xyxy"] as? [Double])?.count == 4)
                }
            }
            let nothing = try await server.get("/api/v1/analytics/real-time/metrics?window=30s", token: idle.token)
            #expect(nothing.status == 200 && (nothing["cameras"] as? [Any])?.isEmpty == true && nothing["active_persons"] as? Int == 0)
            #expect(try await server.get("/api/v1/analytics/real-time/active-persons?cameras=\(b.cameras[0])", token: sa.token)["tracks"]
                    .map { ($0 as? [Any])?.isEmpty == true } == true)

            for task in tasks {
                _ = try await server.post("/api/v1/processing-tasks/\(task.id)/stop", token: task.token, [String: Any]())
                _ = try await ProcessingTaskTests.waitFor(server, task: task.id, token: task.token) { $0["state"] as? String != "running" }
            }

            // Today's tracks, by label, are the tracks table's for the caller's camera.
            let today = try await server.get("/api/v1/analytics/period?period=day", token: sa.token)
            #expect(today.status == 200, "\(today.body)")
            let started = ((today["counts_over_time"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (($1["tracks"] as? [String: Int])?["person"] ?? 0) }
            let stored = try await server.strings("""
                SELECT count(*) FROM tracks WHERE camera_id = \(a.cameras[0]) AND first_seen >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                """)
            #expect(started > 0 && ["\(started)"] == stored)
            #expect((today["system"] as? [String: Any])?["cameras"] as? Int == 1)

            // Alerts on 2024-03-10 on both tenants' cameras (as the alert stage writes them), with daily statistics.
            let run = try #require(try await server.strings("SELECT min(id) FROM runs").first)
            try await PartitionManager(database: server.database).ensure(days: [UTCDay(compact: "20240310")!])
            _ = try await server.strings("""
                INSERT INTO events (time, camera_id, run_id, media_time, rule, kind, severity, message, alert_id, phase)
                SELECT t, cam, \(run), 0, rule, kind, severity, 'test', md5(t::text || cam), 'end'
                FROM (VALUES ('2024-03-10 08:15:00+00'::timestamptz, \(a.cameras[0]), 'loitering', 'loitering', 'warning'),
                             ('2024-03-10 08:45:00+00', \(a.cameras[0]), 'loitering', 'loitering', 'critical'),
                             ('2024-03-10 13:05:00+00', \(a.cameras[0]), 'crowd', 'crowding', 'info'),
                             ('2024-03-10 13:06:00+00', \(b.cameras[0]), 'secret-rule', 'intrusion', 'critical')) v (t, cam, rule, kind, severity)
                """)
            _ = try await server.strings("""
                INSERT INTO daily_statistics (day, camera_id, subject, monitored_seconds, alerts, info, warning, critical, by_kind,
                                              by_hour, alerts_per_hour, risk_score)
                VALUES ('2024-03-10', \(a.cameras[0]), '', 3600, 3, 1, 1, 1, '{}', array_fill(0::int8, ARRAY[24]), 3, 42.5),
                       ('2024-03-10', \(b.cameras[0]), '', 3600, 1, 0, 0, 1, '{}', array_fill(0::int8, ARRAY[24]), 1, 99)
                """)
            for period in ["day", "week", "month", "year"] {
                let report = try await server.get("/api/v1/analytics/period?period=\(period)&date=2024-03-10T12:00:00Z", token: sa.token)
                #expect(report.status == 200, "\(report.body)")
                #expect(report["severity_breakdown"] as? [String: Int] == ["info": 1, "warning": 1, "critical": 1], "\(period): \(report.body)")
                let hourly = (report["hourly_distribution"] as? [Int]) ?? []
                #expect(hourly.count == 24 && hourly[8] == 2 && hourly[13] == 1 && hourly.reduce(0, +) == 3)
                let common = (report["most_common_alerts"] as? [[String: Any]]) ?? []
                #expect(common.first?["rule"] as? String == "loitering" && common.first?["count"] as? Int == 2 && common.first?["critical"] as? Int == 1)
                #expect(!report.body.contains("secret-rule") && !report.body.contains("b-secret"))
                let risks = (report["risk_scores"] as? [[String: Any]]) ?? []
                #expect(risks.count == 1 && risks.first?["max_risk_score"] as? Double == 42.5, "\(risks)")
                let buckets = (report["counts_over_time"] as? [[String: Any]]) ?? []
                #expect(buckets.reduce(0) { $0 + ($1["alerts"] as? Int ?? 0) } == 3)
            }
            let day = try await server.get("/api/v1/analytics/period?period=day&date=2024-03-10T12:00:00Z", token: sa.token)
            #expect(day["from"] as? String == "2024-03-10T00:00:00.000Z" && day["to"] as? String == "2024-03-11T00:00:00.000Z")
            #expect(((day["counts_over_time"] as? [[String: Any]]) ?? []).compactMap { $0["bucket"] as? String }
                    == ["2024-03-10T08:00:00.000Z", "2024-03-10T13:00:00.000Z"])
            let week = try await server.get("/api/v1/analytics/period?period=week&date=2024-03-10T12:00:00Z", token: sa.token)
            #expect(week["from"] as? String == "2024-03-04T00:00:00.000Z", "ISO weeks start on Monday")
            let other = try await server.get("/api/v1/analytics/period?period=day&date=2024-03-10T12:00:00Z", token: sb.token)
            #expect(other["severity_breakdown"] as? [String: Int] == ["info": 0, "warning": 0, "critical": 1])
            worker.signal(SIGTERM)
            _ = await worker.exited(timeout: 60)
        }
    }
}
