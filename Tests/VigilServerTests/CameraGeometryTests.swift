import Foundation
import NIOHTTP1
import Testing
import VigilServer

/// A camera's zones, lines and links through the API: stored as the alert stage declares them and checked
/// by its reader (a bad polygon is a 400 naming the field), links only within the tenant; environments
/// group cameras and report the days with stored data.
@Suite("Operations API: cameras, geometry and environments") struct CameraGeometryTests {
    static var zones: [String: Any] { ["walkway": ["polygon": [[0, 190], [560, 160], [700, 340], [0, 235]], "min_inside": "0.3s"]] }
    static var lines: [String: Any] { ["crossing": ["points": [[330, 150], [330, 320]], "band": 4]] }

    @Test func zonesLinesAndLinksAreStoredAndReturned() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["left", "right"])
            let patched = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[0])", token: admin.token, json: [
                "zones": Self.zones, "lines": Self.lines,
                "links": [["to_camera_id": site.cameras[1], "min_transit_seconds": 2, "max_transit_seconds": 30]]])
            #expect(patched.status == 200, "\(patched.body)")
            let camera = try await server.get("/api/v1/cameras/\(site.cameras[0])", token: admin.token)
            let walkway = try #require((camera["zones"] as? [String: Any])?["walkway"] as? [String: Any])
            #expect((walkway["polygon"] as? [[Double]])?.count == 4)
            #expect(((camera["lines"] as? [String: Any])?["crossing"] as? [String: Any])?["band"] as? Double == 4)
            let links = try #require(camera["links"] as? [[String: Any]])
            #expect(links.count == 1)
            #expect(links.first?["to_camera_id"] as? Int == site.cameras[1])
            #expect(links.first?["max_transit_seconds"] as? Double == 30)
            // Map metres need a homography; with one they are accepted.
            let mapZone = ["yard": ["polygon": [[0, 0], [10, 0], [10, 15]], "space": "map"]]
            let refused = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[1])", token: admin.token, json: ["zones": mapZone])
            #expect(refused.status == 400)
            #expect(refused.errorCode == "invalid_geometry")
            let accepted = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[1])", token: admin.token,
                                                    json: ["zones": mapZone, "homography": [1, 0, 0, 0, 1, 0, 0, 0, 1]])
            #expect(accepted.status == 200, "\(accepted.body)")
            // null empties; a camera cannot link to itself.
            let cleared = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[0])", token: admin.token, json: ["zones": NSNull(), "links": NSNull()])
            #expect((cleared["zones"] as? [String: Any])?.isEmpty == true)
            #expect((cleared["links"] as? [Any])?.isEmpty == true)
            // Every key at once (name included), and a duplicate name is a conflict, not a server error.
            let all = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[0])", token: admin.token, json: [
                "name": "left-renamed", "url": NSNull(), "homography": [1, 0, 0, 0, 1, 0, 0, 0, 1], "zones": Self.zones, "lines": Self.lines, "links": []])
            #expect(all.status == 200, "\(all.body)")
            #expect(all["name"] as? String == "left-renamed")
            let duplicate = try await server.post("/api/v1/cameras", token: admin.token, ["name": "right", "tenant_id": site.id])
            #expect(duplicate.status == 409, "\(duplicate.body)")
            let renamedOnto = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[0])", token: admin.token, json: ["name": "right"])
            #expect(renamedOnto.status == 409, "\(renamedOnto.body)")
            let selfLink = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[0])", token: admin.token,
                                                    json: ["links": [["to_camera_id": site.cameras[0], "max_transit_seconds": 5]]])
            #expect(selfLink.status == 422)
        }
    }

    @Test func badZonesAndLinesAreA400ThatSaysWhatIsWrong() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["door"])
            let cases: [(body: [String: Any], message: String)] = [
                (["zones": ["door": ["polygon": [[0, 0], [10, 10]]]]], "zones.door.polygon: zone 'door': a polygon needs at least three corners"),
                (["zones": ["door": ["polygon": [[0, 0], ["a", 1], [5, 5]]]]], "zones.door.polygon: each point must be [x, y] with two numbers"),
                (["zones": ["door": ["polygon": [[0, 0], ["10", 1], [5, 5]]]]], "zones.door.polygon: each point must be [x, y] with two numbers"),
                (["zones": ["door": ["polygon": [[0, 0], [5, 5], [10, 10]]]]], "the polygon has no area"),
                (["zones": ["door": ["polygon": "square"]]], "zones.door.polygon: expected a list of [x, y] points"),
                (["zones": ["door": [String: Any]()]], "zones.door: missing polygon"),
                (["zones": ["door": ["polygon": [[0, 0], [9, 0], [9, 9]], "shape": "round"]]], "zones.door: unknown key 'shape'"),
                (["zones": ["door": ["polygon": [[0, 0], [9, 0], [9, 9]], "space": "world"]]], "space"),
                (["lines": ["gate": ["points": [[1, 1], [1, 1]]]]], "its two points are the same"),
                (["lines": ["gate": ["points": [[1, 1], [2, 2], [3, 3]]]]], "'points' must be exactly two points"),
            ]
            for (body, message) in cases {
                let reply = try await server.request(.PATCH, "/api/v1/cameras/\(site.cameras[0])", token: admin.token, json: body)
                #expect(reply.status == 400, "\(body): \(reply.body)")
                #expect(reply.errorCode == "invalid_geometry", "\(reply.body)")
                let text = (reply.json?["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(text.contains(message), "expected \(message) in \(text)")
            }
            // The same checks on create; nothing was stored.
            let created = try await server.post("/api/v1/cameras", token: admin.token, ["name": "bad", "tenant_id": site.id,
                                                                                      "zones": ["z": ["polygon": [[0, 0]]]]])
            #expect(created.status == 400)
            #expect(try await server.strings("SELECT count(*) FROM cameras WHERE name = 'bad'") == ["0"])
            #expect(try await server.strings("SELECT zones::text FROM cameras WHERE id = \(site.cameras[0])") == ["{}"])
        }
    }

    @Test func environmentsGroupCamerasAndReportTheDaysWithData() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["hall", "dock", "elsewhere"])
            let boss = try await server.account("boss", role: .supervisor, tenant: site.id)
            let env = try await server.post("/api/v1/environments", token: boss.token, ["name": "factory"])
            #expect(env.status == 201, "\(env.body)")
            let id = try #require(env["id"] as? Int)
            #expect(try await server.post("/api/v1/environments", token: boss.token, ["name": "factory"]).status == 409)
            for camera in site.cameras.prefix(2) {
                let joined = try await server.request(.PATCH, "/api/v1/cameras/\(camera)", token: boss.token, json: ["environment_id": id])
                #expect(joined["environment_id"] as? Int == id)
            }
            let read = try await server.get("/api/v1/environments/\(id)", token: boss.token)
            #expect(read["camera_ids"] as? [Int] == Array(site.cameras.prefix(2)).sorted())
            // Data on the 15th (track points), the 16th (an event) and the 17th (aggregates) for the
            // environment's cameras; the camera outside it has data on the 17th too, which does not count for it.
            let rows = try await ResultRows(server)
            let run = try await rows.run(from: 0, to: 3 * 86_400)
            try await rows.track(camera: site.cameras[0], run: run, track: 1, from: 0, to: 2)
            try await rows.event(camera: site.cameras[1], run: run, at: 86_400)
            try await rows.aggregate(camera: site.cameras[1], run: run, at: 2 * 86_400)
            try await rows.event(camera: site.cameras[2], run: run, at: 2 * 86_400 + 3600)
            let empty = try await server.post("/api/v1/environments", token: boss.token, ["name": "empty"])
            let ranges = try await server.get("/api/v1/environments/\(id)/date-ranges", token: boss.token)
            #expect(ranges.status == 200, "\(ranges.body)")
            #expect(ranges["days"] as? [String] == ["2026-11-15", "2026-11-16", "2026-11-17"])
            #expect(ranges.items("ranges").map { "\($0["from"] ?? "")..\($0["to"] ?? "")" } == ["2026-11-15..2026-11-17"])
            let none = try await server.get("/api/v1/environments/\(try #require(empty["id"] as? Int))/date-ranges", token: boss.token)
            #expect(none["days"] as? [String] == [])
            // Rename, then delete: the cameras stay, without an environment.
            let renamed = try await server.request(.PATCH, "/api/v1/environments/\(id)", token: boss.token, json: ["name": "plant"])
            #expect(renamed["name"] as? String == "plant")
            #expect(try await server.request(.DELETE, "/api/v1/environments/\(id)", token: boss.token).status == 204)
            #expect(try await server.get("/api/v1/environments/\(id)", token: boss.token).status == 404)
            #expect(try await server.strings("SELECT count(*) FROM cameras WHERE environment_id IS NULL") == ["3"])
        }
    }
}
