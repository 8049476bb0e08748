import Foundation
import NIOHTTP1
import Testing
import VigilServer

/// Every endpoint of the operations API keeps tenants apart in its query: a user of tenant A gets 404 for
/// B's environments and events by id, none of B's rows in any list, and nothing of B by filtering for B's
/// cameras, global ids or zones; writes to B's things change nothing.
@Suite("Operations API: tenant isolation") struct OperationsIsolationTests {
    @Test func tenantAGetsNothingOfTenantBFromAnyOperationsEndpoint() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-gate"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["b-secret-lobby", "b-secret-dock"])
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let envA = try await server.post("/api/v1/environments", token: sa.token, ["name": "a-campus"])
            let envB = try await server.post("/api/v1/environments", token: admin.token, ["name": "b-secret-site", "tenant_id": b.id])
            #expect(envA.status == 201 && envB.status == 201, "\(envA.body) \(envB.body)")
            let envBID = try #require(envB["id"] as? Int)
            _ = try await server.request(.PATCH, "/api/v1/cameras/\(b.cameras[0])", token: admin.token, json: ["environment_id": envBID])

            let rows = try await ResultRows(server)
            let run = try await rows.run()
            let eventA = try await rows.event(camera: a.cameras[0], run: run, at: 10, zone: "a-zone", globalID: 1, message: "a-alert")
            let eventB = try await rows.event(camera: b.cameras[0], run: run, at: 20, zone: "b-secret-zone", globalID: 2, message: "b-secret-alert")
            try await rows.track(camera: a.cameras[0], run: run, track: 1, globalID: 1, from: 0, to: 3)
            try await rows.track(camera: b.cameras[0], run: run, track: 2, globalID: 2, label: "b-secret-class", from: 0, to: 3)
            try await rows.identity(run: run, globalID: 1, cameras: [a.cameras[0]], from: 0, to: 3)
            try await rows.identity(run: run, globalID: 2, cameras: b.cameras, from: 0, to: 3)
            try await rows.aggregate(camera: a.cameras[0], run: run, at: 60, zone: "a-zone")
            try await rows.aggregate(camera: b.cameras[0], run: run, at: 60, zone: "b-secret-zone")

            var bodies: [String] = []
            func get(_ path: String, _ status: Int = 200) async throws -> TestServer.Reply {
                let reply = try await server.get(path, token: sa.token)
                #expect(reply.status == status, "\(path): \(reply.body)")
                bodies.append(reply.body)
                return reply
            }
            // By id.
            _ = try await get("/api/v1/environments/\(envBID)", 404)
            _ = try await get("/api/v1/environments/\(envBID)/date-ranges", 404)
            _ = try await get("/api/v1/events/\(eventB)", 404)
            // By list: only A's rows.
            #expect(try await get("/api/v1/environments").ints("environments", "id") == [try #require(envA["id"] as? Int)])
            #expect(try await get("/api/v1/events").ints("events", "id") == [eventA])
            #expect(try await get("/api/v1/tracks").ints("tracks", "camera_id") == [a.cameras[0]])
            #expect(try await get("/api/v1/track-points").ints("points", "camera_id") == Array(repeating: a.cameras[0], count: 4))
            #expect(try await get("/api/v1/identities").ints("identities", "global_id") == [1])
            #expect(try await get("/api/v1/aggregates").ints("aggregates", "camera_id") == [a.cameras[0]])
            // By filter: B's cameras, global id, zone and class give nothing.
            let bCameras = b.cameras.map(String.init).joined(separator: ",")
            for path in ["/api/v1/events?cameras=\(bCameras)", "/api/v1/events?global_id=2", "/api/v1/events?zones=b-secret-zone",
                         "/api/v1/tracks?cameras=\(bCameras)", "/api/v1/tracks?classes=b-secret-class", "/api/v1/track-points?global_id=2",
                         "/api/v1/identities?global_id=2", "/api/v1/identities?cameras=\(bCameras)", "/api/v1/aggregates?zones=b-secret-zone",
                         "/api/v1/environments?tenant_id=\(b.id)"] {
                let reply = try await get(path)
                let key = ["events", "tracks", "points", "identities", "aggregates", "environments"].first { reply[$0] != nil } ?? "?"
                #expect(reply.items(key).isEmpty, "\(path): \(reply.body)")
            }
            // Writes to B's things are 404 and change nothing.
            let ack = try await server.post("/api/v1/events/\(eventB)/acknowledge", token: sa.token, [String: Any]())
            #expect(ack.status == 404)
            let rename = try await server.request(.PATCH, "/api/v1/environments/\(envBID)", token: sa.token, json: ["name": "pwned"])
            #expect(rename.status == 404)
            let delete = try await server.request(.DELETE, "/api/v1/environments/\(envBID)", token: sa.token)
            #expect(delete.status == 404)
            let join = try await server.request(.PATCH, "/api/v1/cameras/\(a.cameras[0])", token: sa.token, json: ["environment_id": envBID])
            #expect(join.status == 422)
            let link = try await server.request(.PATCH, "/api/v1/cameras/\(a.cameras[0])", token: sa.token,
                                                json: ["links": [["to_camera_id": b.cameras[0], "max_transit_seconds": 30]]])
            #expect(link.status == 422)
            let create = try await server.post("/api/v1/environments", token: sa.token, ["name": "x", "tenant_id": b.id])
            #expect(create.status == 403)
            bodies += [ack.body, rename.body, delete.body, join.body, link.body, create.body]
            for body in bodies {
                #expect(!body.contains("b-secret"), "\(body)")
                #expect(!body.contains("tenant-b"), "\(body)")
            }
            #expect(try await server.strings("SELECT acknowledged FROM events WHERE id = \(eventB)") == ["false"])
            #expect(try await server.strings("SELECT name FROM environments WHERE id = \(envBID)") == ["b-secret-site"])
            #expect(try await server.strings("SELECT count(*) FROM camera_links") == ["0"])
            // B's own supervisor sees B's rows (the data is there; only the scope hid it).
            let sb = try await server.account("super-b", role: .supervisor, tenant: b.id)
            #expect(try await server.get("/api/v1/events", token: sb.token).ints("events", "id") == [eventB])
            #expect(try await server.get("/api/v1/identities", token: sb.token).ints("identities", "global_id") == [2])
        }
    }

    @Test func operatorsAndViewersSeeOnlyTheirAssignedCamerasAndOnlyOperatorsAcknowledge() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["door", "roof"])
            let boss = try await server.account("boss", role: .supervisor, tenant: site.id)
            let viewer = try await server.account("watcher", role: .viewer, tenant: site.id)
            let op = try await server.account("guard", role: .operator, tenant: site.id)
            for user in [viewer, op] {
                let assigned = try await server.request(.PUT, "/api/v1/users/\(user.id)/cameras", token: boss.token, json: ["camera_ids": [site.cameras[0]]])
                #expect(assigned.status == 200)
            }
            let env = try await server.post("/api/v1/environments", token: boss.token, ["name": "roof-only"])
            let envID = try #require(env["id"] as? Int)
            _ = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[1])", token: boss.token, json: ["environment_id": envID])
            let rows = try await ResultRows(server)
            let run = try await rows.run()
            let door = try await rows.event(camera: site.cameras[0], run: run, at: 1)
            let roof = try await rows.event(camera: site.cameras[1], run: run, at: 2)
            #expect(try await server.get("/api/v1/events", token: viewer.token).ints("events", "id") == [door])
            #expect(try await server.get("/api/v1/events/\(roof)", token: viewer.token).status == 404)
            // The environment holds only the roof camera, which the viewer is not assigned.
            #expect(try await server.get("/api/v1/environments/\(envID)", token: viewer.token).status == 404)
            #expect(try await server.get("/api/v1/environments/\(envID)", token: boss.token).status == 200)
            // A viewer reads but does not acknowledge; an operator does, for their cameras only.
            #expect(try await server.post("/api/v1/events/\(door)/acknowledge", token: viewer.token, [String: Any]()).status == 403)
            #expect(try await server.post("/api/v1/events/\(roof)/acknowledge", token: op.token, [String: Any]()).status == 404)
            let acked = try await server.post("/api/v1/events/\(door)/acknowledge", token: op.token, [String: Any]())
            #expect(acked.status == 200)
            #expect(acked["acknowledged"] as? Bool == true)
            // Neither may create environments.
            #expect(try await server.post("/api/v1/environments", token: op.token, ["name": "mine"]).status == 403)
        }
    }
}
