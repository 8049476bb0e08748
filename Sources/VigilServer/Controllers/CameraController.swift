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

    struct LinkRequest: Decodable {
        var toCameraId: Int
        var minTransitSeconds: Double?
        var maxTransitSeconds: Double
    }

    struct CreateRequest: Decodable {
        var name: String
        var url: String?
        var tenantId: Int?
        var homography: [Double]?
        var environmentId: Int?
        var zones: JSONValue?
        var lines: JSONValue?
        var links: [LinkRequest]?
    }

    /// Absent keys leave a field alone; `"url": null` clears it (also homography, environment_id; null zones,
    /// lines or links are emptied).
    struct UpdateRequest: Decodable {
        var name: String?
        var url: String??
        var homography: [Double]??
        var environmentId: Int??
        var zones: JSONValue?
        var lines: JSONValue?
        var links: [LinkRequest]??

        enum CodingKeys: String, CodingKey { case name, url, homography, environmentId, zones, lines, links }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = c.contains(.name) ? try c.decode(String.self, forKey: .name) : nil
            url = c.contains(.url) ? .some(try c.decodeIfPresent(String.self, forKey: .url)) : nil
            homography = c.contains(.homography) ? .some(try c.decodeIfPresent([Double].self, forKey: .homography)) : nil
            environmentId = c.contains(.environmentId) ? .some(try c.decodeIfPresent(Int.self, forKey: .environmentId)) : nil
            zones = c.contains(.zones) ? try c.decode(JSONValue.self, forKey: .zones) : nil
            lines = c.contains(.lines) ? try c.decode(JSONValue.self, forKey: .lines) : nil
            links = c.contains(.links) ? .some(try c.decodeIfPresent([LinkRequest].self, forKey: .links)) : nil
        }
    }

    /// null means none.
    private static func emptied(_ value: JSONValue?) -> JSONValue? { value.map { $0 == .null ? .object([:]) : $0 } }

    private static func checked(links: [LinkRequest]?) throws -> [CameraLink]? {
        guard let links else { return nil }
        guard links.count <= 100, Set(links.map(\.toCameraId)).count == links.count else {
            throw APIError.unprocessable("links: at most 100, one per camera")
        }
        return try links.map { link in
            let low = link.minTransitSeconds ?? 0
            guard (1...Int(Int32.max)).contains(link.toCameraId) else { throw APIError.unprocessable("links: to_camera_id must be another camera of the same tenant") }
            guard low.isFinite, link.maxTransitSeconds.isFinite, low >= 0, link.maxTransitSeconds >= low, link.maxTransitSeconds <= 604_800 else {
                throw APIError.unprocessable("links: 0 <= min_transit_seconds <= max_transit_seconds <= 604800")
            }
            return CameraLink(toCameraId: link.toCameraId, minTransitSeconds: low, maxTransitSeconds: link.maxTransitSeconds)
        }
    }

    /// An environment the caller sees, of the camera's tenant.
    private func checked(environment id: Int?, tenant: Int, _ caller: Caller) async throws -> Int? {
        guard let id else { return nil }
        guard (1...Int(Int32.max)).contains(id), let environment = try await services.environments.get(id, scope: caller.scope),
              environment.tenantId == tenant else { throw APIError.unprocessable("environment_id: no such environment in the camera's tenant") }
        return id
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
        let homography = try Self.checked(homography: body.homography)
        try CameraGeometryInput.check(zones: body.zones, lines: body.lines, hasHomography: homography != nil)
        let changes = CameraChanges(url: .some(try Self.checked(url: body.url)), homography: .some(homography),
                                    environmentID: .some(try await checked(environment: body.environmentId, tenant: tenant, caller)),
                                    zones: Self.emptied(body.zones), lines: Self.emptied(body.lines), links: try Self.checked(links: body.links))
        if let links = changes.links, try await !services.cameras.linkTargetsExist(links, tenantID: tenant, scope: caller.scope) {
            throw APIError.unprocessable("links: to_camera_id must be another camera of the same tenant")
        }
        let camera = try await services.cameras.create(tenantID: tenant, name: try Self.checked(name: body.name), changes: changes, scope: caller.scope)
        await services.record("cameras.create", .success, context: context, target: "camera:\(camera.id)")
        return .init(status: .created, response: camera)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Camera {
        let caller = try context.caller()
        let id = try context.idParameter("id", "camera")
        let body = try await request.json(UpdateRequest.self, context: context)
        guard let current = try await services.cameras.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        try requireWriter(caller)
        let homography = try body.homography.map { try Self.checked(homography: $0) }
        let zones = Self.emptied(body.zones), lines = Self.emptied(body.lines)
        if zones != nil || lines != nil || homography != nil {
            try CameraGeometryInput.check(zones: zones ?? current.zones, lines: lines ?? current.lines, hasHomography: (homography ?? current.homography) != nil)
        }
        var environment: Int??
        if let requested = body.environmentId { environment = .some(try await checked(environment: requested, tenant: current.tenantId, caller)) }
        let changes = CameraChanges(name: try body.name.map { try Self.checked(name: $0) }, url: try body.url.map { try Self.checked(url: $0) },
                                    homography: homography, environmentID: environment, zones: zones, lines: lines,
                                    links: try body.links.map { try Self.checked(links: $0) ?? [] })
        if let links = changes.links {
            guard !links.contains(where: { $0.toCameraId == id }) else { throw APIError.unprocessable("links: a camera cannot link to itself") }
            guard try await services.cameras.linkTargetsExist(links, tenantID: current.tenantId, scope: caller.scope) else {
                throw APIError.unprocessable("links: to_camera_id must be another camera of the same tenant")
            }
        }
        let camera = try await services.cameras.update(id, changes, scope: caller.scope)
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
