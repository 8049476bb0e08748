import Foundation
import Testing
import VigilServer

/// `GET /events` filters (Frigate's: cameras, kinds, zones, severity, acknowledged, after, before) and the
/// acknowledgement flow; tracks, identities and aggregates filters.
@Suite("Operations API: event filters and acknowledgement") struct EventQueryTests {
    @Test func filtersSelectExactlyTheMatchingEvents() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["door", "dock"])
            let (door, dock) = (site.cameras[0], site.cameras[1])
            let rows = try await ResultRows(server)
            let run = try await rows.run()
            let e1 = try await rows.event(camera: door, run: run, at: 0, kind: "dwell", severity: "warning", zone: "walkway", label: "person")
            let e2 = try await rows.event(camera: door, run: run, at: 60, kind: "crowd", severity: "critical", zone: "walkway")
            let e3 = try await rows.event(camera: dock, run: run, at: 120, kind: "dwell", severity: "info", zone: "ramp", label: "car")
            let e4 = try await rows.event(camera: dock, run: run, at: 180, kind: "stream_gap", severity: "warning")
            func ids(_ query: String) async throws -> [Int] {
                let reply = try await server.get("/api/v1/events?\(query)", token: admin.token)
                #expect(reply.status == 200, "\(query): \(reply.body)")
                return reply.ints("events", "id")
            }
            #expect(try await ids("") == [e4, e3, e2, e1])
            #expect(try await ids("cameras=\(door)") == [e2, e1])
            #expect(try await ids("cameras=\(door),\(dock)&kinds=dwell") == [e3, e1])
            #expect(try await ids("kinds=crowd,stream_gap") == [e4, e2])
            #expect(try await ids("zones=walkway") == [e2, e1])
            #expect(try await ids("severity=critical,info") == [e3, e2])
            #expect(try await ids("after=2026-11-15T10:01:00Z") == [e4, e3, e2])
            #expect(try await ids("before=2026-11-15T10:01:00Z") == [e1])
            #expect(try await ids("after=2026-11-15T10:01:00Z&before=2026-11-15T10:03:00.000Z") == [e3, e2])
            #expect(try await ids("run_id=\(run)&kinds=dwell&severity=info") == [e3])
            #expect(try await ids("classes=car,bicycle") == [e3])
            #expect(try await ids("acknowledged=true") == [])
            #expect(try await ids("acknowledged=false").count == 4)
            // Tracks, points, identities and aggregates take the same kinds of filters.
            try await rows.track(camera: door, run: run, track: 1, globalID: 7, label: "person", from: 0, to: 4)
            try await rows.track(camera: dock, run: run, track: 2, globalID: 7, label: "person", from: 30, to: 34)
            try await rows.track(camera: dock, run: run, track: 3, label: "car", from: 100, to: 101)
            try await rows.identity(run: run, globalID: 7, cameras: [door, dock], from: 0, to: 34)
            try await rows.aggregate(camera: door, run: run, at: 60, name: "zone_entries", zone: "walkway")
            try await rows.aggregate(camera: dock, run: run, at: 60, name: "unique_tracks")
            #expect(try await server.get("/api/v1/tracks?classes=car", token: admin.token).ints("tracks", "track_id") == [3])
            #expect(try await server.get("/api/v1/tracks?global_id=7", token: admin.token).ints("tracks", "track_id") == [2, 1])
            #expect(try await server.get("/api/v1/track-points?global_id=7&cameras=\(dock)", token: admin.token).ints("points", "track_id").count == 5)
            #expect(try await server.get("/api/v1/track-points?track_id=1&after=2026-11-15T10:00:03Z", token: admin.token)
                .ints("points", "frame_index") == [3, 4])
            let identity = try #require(try await server.get("/api/v1/identities?global_id=7", token: admin.token).items("identities").first)
            #expect(identity["cameras"] as? [Int] == [door, dock].sorted())
            let sightings = (identity["sightings"] as? [[String: Any]]) ?? []
            #expect(sightings.compactMap { $0["camera_id"] as? Int } == [door, dock])
            #expect(sightings.first?["last_seen"] as? String == "2026-11-15T10:00:04.000Z")
            #expect(try await server.get("/api/v1/aggregates?zones=walkway", token: admin.token).items("aggregates").compactMap { $0["name"] as? String }
                == ["zone_entries"])
            #expect(try await server.get("/api/v1/aggregates?names=unique_tracks&cameras=\(dock)", token: admin.token).ints("aggregates", "camera_id") == [dock])
        }
    }

    @Test func acknowledgingAnEventMarksItOnceAndFiltersFollow() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["door"])
            let boss = try await server.account("boss", role: .supervisor, tenant: site.id)
            let rows = try await ResultRows(server)
            let run = try await rows.run()
            let first = try await rows.event(camera: site.cameras[0], run: run, at: 0, message: "loitering at the door")
            let second = try await rows.event(camera: site.cameras[0], run: run, at: 5)
            let before = try await server.get("/api/v1/events/\(first)", token: boss.token)
            #expect(before["acknowledged"] as? Bool == false)
            #expect(before["acknowledged_at"] == nil)
            #expect(before["message"] as? String == "loitering at the door")
            let acked = try await server.post("/api/v1/events/\(first)/acknowledge", token: boss.token, [String: Any]())
            #expect(acked.status == 200, "\(acked.body)")
            #expect(acked["acknowledged"] as? Bool == true)
            let at = try #require(acked["acknowledged_at"] as? String)
            // Again: still acknowledged, with the first acknowledgement's time.
            let again = try await server.post("/api/v1/events/\(first)/acknowledge", token: boss.token, [String: Any]())
            #expect(again["acknowledged_at"] as? String == at)
            #expect(try await server.get("/api/v1/events?acknowledged=true", token: boss.token).ints("events", "id") == [first])
            #expect(try await server.get("/api/v1/events?acknowledged=false", token: boss.token).ints("events", "id") == [second])
            #expect(try await server.strings("SELECT acknowledged_by::text FROM events WHERE id = \(first)") == [try await server.strings(
                "SELECT id::text FROM users WHERE username = 'boss'")[0]])
            // Unknown ids are a 404, and so are ids that are not numbers.
            #expect(try await server.post("/api/v1/events/999999/acknowledge", token: boss.token, [String: Any]()).status == 404)
            #expect(try await server.get("/api/v1/events/abc", token: boss.token).status == 404)
            // The acknowledgement is in the audit log.
            #expect(try await server.strings("SELECT count(*) FROM activity_logs WHERE action = 'events.acknowledge'") == ["2"])
        }
    }
}
