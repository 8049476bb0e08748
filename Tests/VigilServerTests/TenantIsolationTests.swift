import Foundation
import NIOHTTP1
import Testing
import VigilServer

/// Users of one tenant never see another tenant's cameras, users, activity or alerts, by id or by list;
/// roles that read cannot write.
@Suite("Tenant isolation and roles") struct TenantIsolationTests {
    @Test func aTenantsUsersSeeNothingOfAnotherTenant() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("tenant-a", admin: admin, cameras: ["a-gate", "a-yard"])
            let b = try await server.tenant("tenant-b", admin: admin, cameras: ["b-secret-lobby"])
            let sa = try await server.account("super-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("super-b-hidden", role: .supervisor, tenant: b.id)
            // Tenant B does things, so B has activity rows.
            _ = try await server.post("/api/v1/activity", token: sb.token, ["action": "b-private-action", "target": "b-secret-target"])

            var bodies: [String] = []
            func check(_ path: String, _ status: Int, _ comment: Comment? = nil) async throws {
                let reply = try await server.get(path, token: sa.token)
                #expect(reply.status == status, "\(path): \(reply.body)")
                bodies.append(reply.body)
            }
            try await check("/api/v1/cameras", 200)
            let cameras = try await server.get("/api/v1/cameras", token: sa.token)
            #expect((cameras["cameras"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }.sorted() == a.cameras.sorted())
            try await check("/api/v1/cameras/\(b.cameras[0])", 404)
            try await check("/api/v1/cameras?tenant_id=\(b.id)", 200)
            try await check("/api/v1/users", 200)
            let users = try await server.get("/api/v1/users", token: sa.token)
            #expect((users["users"] as? [[String: Any]])?.compactMap { $0["username"] as? String } == ["super-a"])
            try await check("/api/v1/users/\(sb.id)", 404)
            try await check("/api/v1/users/\(sb.id)/cameras", 404)
            try await check("/api/v1/users?tenant_id=\(b.id)", 200)
            try await check("/api/v1/activity", 200)
            try await check("/api/v1/activity?user_id=\(sb.id)", 200)
            try await check("/api/v1/activity/summary", 200)
            try await check("/api/v1/tenants", 200)
            try await check("/api/v1/tenants/\(b.id)", 404)
            try await check("/api/v1/security/alerts", 200)
            // Writes to B's things are refused the same way.
            let patch = try await server.request(.PATCH, "/api/v1/cameras/\(b.cameras[0])", token: sa.token, json: ["name": "pwned"])
            #expect(patch.status == 404)
            let delete = try await server.request(.DELETE, "/api/v1/users/\(sb.id)", token: sa.token)
            #expect(delete.status == 403)
            let deactivate = try await server.request(.POST, "/api/v1/users/\(sb.id)/deactivate", token: sa.token)
            #expect(deactivate.status == 404)
            let assign = try await server.request(.PUT, "/api/v1/users/\(sa.id)/cameras", token: sa.token, json: ["camera_ids": b.cameras])
            #expect(assign.status == 422)
            let create = try await server.post("/api/v1/cameras", token: sa.token, ["name": "x", "tenant_id": b.id])
            #expect(create.status == 403)
            bodies += [patch.body, delete.body, deactivate.body, assign.body, create.body]
            for body in bodies {
                #expect(!body.contains("b-secret"), "\(body)")
                #expect(!body.contains("super-b-hidden"), "\(body)")
                #expect(!body.contains("tenant-b"), "\(body)")
                #expect(!body.contains(sb.id) && !body.contains(sb.id.lowercased()), "\(body)")
            }
            // Nothing changed in B.
            #expect(try await server.strings("SELECT name FROM cameras WHERE tenant_id = \(b.id)") == ["b-secret-lobby"])
            #expect(try await server.strings("SELECT status FROM users WHERE username = 'super-b-hidden'") == ["active"])
            // Repeated attempts at B's resources raised a security alert, which B's supervisor does not see.
            let alerts = try await server.get("/api/v1/security/alerts", token: admin.token)
            let rules = (alerts["alerts"] as? [[String: Any]])?.compactMap { $0["rule"] as? String } ?? []
            #expect(rules.contains("cross_tenant_access"))
            // Neither tenant's supervisor sees it, nor the probe rows in the audit log: they would confirm that the ids exist.
            for supervisor in [sa, sb] {
                let seen = try await server.get("/api/v1/security/alerts", token: supervisor.token)
                #expect((seen["alerts"] as? [[String: Any]])?.isEmpty == true)
            }
            let adminLog = try await server.get("/api/v1/activity?action=access.cross_tenant", token: admin.token)
            #expect(((adminLog["activity"] as? [[String: Any]])?.count ?? 0) >= 3)
        }
    }

    @Test func viewersReadOnlyTheirAssignedCamerasAndCannotWrite() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("site", admin: admin, cameras: ["door", "dock", "roof"])
            let boss = try await server.account("boss", role: .supervisor, tenant: a.id)
            let viewer = try await server.account("watcher", role: .viewer, tenant: a.id)
            let assign = try await server.request(.PUT, "/api/v1/users/\(viewer.id)/cameras", token: boss.token, json: ["camera_ids": [a.cameras[0], a.cameras[2]]])
            #expect(assign.status == 200, "\(assign.body)")
            let list = try await server.get("/api/v1/cameras", token: viewer.token)
            #expect((list["cameras"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["door", "roof"])
            #expect(try await server.get("/api/v1/cameras/\(a.cameras[1])", token: viewer.token).status == 404)
            #expect(try await server.get("/api/v1/cameras/\(a.cameras[0])", token: viewer.token).status == 200)
            // Every write a viewer tries is 403.
            #expect(try await server.request(.PATCH, "/api/v1/cameras/\(a.cameras[0])", token: viewer.token, json: ["name": "x"]).status == 403)
            #expect(try await server.request(.DELETE, "/api/v1/cameras/\(a.cameras[0])", token: viewer.token).status == 403)
            #expect(try await server.post("/api/v1/cameras", token: viewer.token, ["name": "mine"]).status == 403)
            #expect(try await server.post("/api/v1/users", token: viewer.token, ["username": "x1x", "email": "x@example.com",
                                                                                   "password": "long enough pass", "role": "admin"]).status == 403)
            #expect(try await server.post("/api/v1/tenants", token: viewer.token, ["name": "mine"]).status == 403)
            #expect(try await server.get("/api/v1/users", token: viewer.token).status == 403)
            #expect(try await server.get("/api/v1/security/alerts", token: viewer.token).status == 403)
            #expect(try await server.request(.PATCH, "/api/v1/users/\(viewer.id)", token: viewer.token, json: ["role": "admin"]).status == 403)
            // Their own names they may change.
            let named = try await server.request(.PATCH, "/api/v1/users/\(viewer.id)", token: viewer.token, json: ["first_name": "Wanda"])
            #expect(named.status == 200)
            #expect(named["first_name"] as? String == "Wanda")
            // A supervisor cannot make an administrator.
            #expect(try await server.request(.PATCH, "/api/v1/users/\(viewer.id)", token: boss.token, json: ["role": "admin"]).status == 403)
            // The viewer sees only their own activity.
            let activity = try await server.get("/api/v1/activity", token: viewer.token)
            let names = Set((activity["activity"] as? [[String: Any]])?.compactMap { $0["username"] as? String } ?? [])
            #expect(names == ["watcher"])
        }
    }
}
