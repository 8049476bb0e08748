import Foundation
import Hummingbird
import HTTPTypes

extension Camera: ResponseEncodable {}

/// `/api/v1/cameras`: everyone lists and reads the cameras they may see (admins all, supervisors their
/// tenant's, others their assigned ones); supervisors and admins create, change and delete them.
struct CameraController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: get)
        group.patch(":id", use: update)
        group.delete(":id", use: delete)
    }

    struct CameraList: ResponseEncodable { var cameras: [Camera] }

    struct CreateRequest: Decodable {
        var name: String
        var url: String?
        var tenantId: Int?
        var homography: [Double]?
    }

    /// Absent keys leave a field alone; `"url": null` clears it.
    struct UpdateRequest: Decodable {
        var name: String?
        var url: String??
        var homography: [Double]??

        enum CodingKeys: String, CodingKey { case name, url, homography }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = c.contains(.name) ? try c.decode(String.self, forKey: .name) : nil
            url = c.contains(.url) ? .some(try c.decodeIfPresent(String.self, forKey: .url)) : nil
            homography = c.contains(.homography) ? .some(try c.decodeIfPresent([Double].self, forKey: .homography)) : nil
        }
    }

    private static func checked(name: String) throws -> String {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw APIError.unprocessable("name: must not be empty") }
        return try Validate.name(name, field: "name")
    }

    private static func checked(homography: [Double]?) throws -> [Double]? {
        guard let homography else { return nil }
        guard homography.count == 9, homography.allSatisfy(\.isFinite) else { throw APIError.unprocessable("homography: 9 finite numbers, row-major") }
        return homography
    }

    private static func checked(url: String?) throws -> String? {
        guard let url else { return nil }
        return try Validate.name(url, field: "url", max: 2048)
    }

    private func requireWriter(_ caller: Caller) throws {
        guard caller.role.writesCameras else { throw APIError.forbidden("only administrators and supervisors change cameras") }
    }

    /// 404 for a camera outside the caller's scope; one of another tenant is also written to the audit log.
    private func notVisible(_ id: Int, _ caller: Caller, context: AppRequestContext) async throws -> APIError {
        if caller.role != .admin, let tenant = try await services.cameras.unscopedOwner(id), tenant != caller.tenantID {
            await services.record("access.cross_tenant", .denied, context: context, target: "camera:\(id)")
        }
        return APIError.notFound("camera")
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> CameraList {
        let caller = try context.caller()
        let q = Query(request)
        return CameraList(cameras: try await services.cameras.list(scope: caller.scope, tenantID: try q.int("tenant_id", in: 1...Int(Int32.max)),
                                                                   search: try q.text("q"), limit: try q.limit(default: 100, max: 1000), offset: try q.offset()))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Camera {
        let caller = try context.caller()
        let id = try context.idParameter("id", "camera")
        guard let camera = try await services.cameras.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        return camera
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Camera> {
        let caller = try context.caller()
        try requireWriter(caller)
        let body = try await request.json(CreateRequest.self, context: context)
        let tenant = body.tenantId ?? caller.tenantID
        guard (1...Int(Int32.max)).contains(tenant) else { throw APIError.unprocessable("tenant_id: no such tenant") }
        guard caller.role == .admin || tenant == caller.tenantID else { throw APIError.forbidden("supervisors create cameras in their own tenant only") }
        let camera = try await services.cameras.create(tenantID: tenant, name: try Self.checked(name: body.name), url: try Self.checked(url: body.url),
                                                       homography: try Self.checked(homography: body.homography))
        await services.record("cameras.create", .success, context: context, target: "camera:\(camera.id)")
        return .init(status: .created, response: camera)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Camera {
        let caller = try context.caller()
        let id = try context.idParameter("id", "camera")
        let body = try await request.json(UpdateRequest.self, context: context)
        guard try await services.cameras.get(id, scope: caller.scope) != nil else { throw try await notVisible(id, caller, context: context) }
        try requireWriter(caller)
        let camera = try await services.cameras.update(id, name: try body.name.map { try Self.checked(name: $0) },
                                                       url: try body.url.map { try Self.checked(url: $0) },
                                                       homography: try body.homography.map { try Self.checked(homography: $0) }, scope: caller.scope)
        guard let camera else { throw APIError.notFound("camera") }
        await services.record("cameras.update", .success, context: context, target: "camera:\(id)")
        return camera
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.idParameter("id", "camera")
        guard try await services.cameras.get(id, scope: caller.scope) != nil else { throw try await notVisible(id, caller, context: context) }
        try requireWriter(caller)
        guard try await services.cameras.delete(id, scope: caller.scope) else { throw APIError.notFound("camera") }
        await services.record("cameras.delete", .success, context: context, target: "camera:\(id)")
        return Response(status: .noContent)
    }
}
