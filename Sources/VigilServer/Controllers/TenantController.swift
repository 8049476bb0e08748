import Foundation
import Hummingbird
import HTTPTypes

extension Tenant: ResponseEncodable {}

/// `/api/v1/tenants`: administrators create, rename and delete tenants; everyone else reads their own.
struct TenantController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: get)
        group.patch(":id", use: rename)
        group.delete(":id", use: delete)
    }

    struct TenantList: ResponseEncodable { var tenants: [Tenant] }
    struct TenantRequest: Decodable { var name: String }

    private static func name(_ text: String) throws -> String {
        let name = text.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw APIError.unprocessable("name: must not be empty") }
        return try Validate.name(name, field: "name")
    }

    private func requireAdmin(_ caller: Caller) throws {
        guard caller.role == .admin else { throw APIError.forbidden("only administrators manage tenants") }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> TenantList {
        let caller = try context.caller()
        let q = Query(request)
        return TenantList(tenants: try await services.tenants.list(scope: caller.scope, limit: try q.limit(), offset: try q.offset()))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Tenant {
        let caller = try context.caller()
        let id = try context.idParameter("id", "tenant")
        guard let tenant = try await services.tenants.get(id, scope: caller.scope) else {
            if id != caller.tenantID { await services.record("access.cross_tenant", .denied, context: context, target: "tenant:\(id)") }
            throw APIError.notFound("tenant")
        }
        return tenant
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Tenant> {
        let caller = try context.caller()
        try requireAdmin(caller)
        let body = try await request.json(TenantRequest.self, context: context)
        let tenant = try await services.tenants.create(name: try Self.name(body.name))
        await services.record("tenants.create", .success, context: context, target: "tenant:\(tenant.id)")
        return .init(status: .created, response: tenant)
    }

    @Sendable func rename(_ request: Request, context: AppRequestContext) async throws -> Tenant {
        let caller = try context.caller()
        try requireAdmin(caller)
        let id = try context.idParameter("id", "tenant")
        let body = try await request.json(TenantRequest.self, context: context)
        guard let tenant = try await services.tenants.rename(id, to: try Self.name(body.name), scope: caller.scope) else { throw APIError.notFound("tenant") }
        await services.record("tenants.update", .success, context: context, target: "tenant:\(id)")
        return tenant
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        try requireAdmin(caller)
        let id = try context.idParameter("id", "tenant")
        guard id != caller.tenantID else { throw APIError.forbidden("you cannot delete your own tenant") }
        guard try await services.tenants.delete(id, scope: caller.scope) else { throw APIError.notFound("tenant") }
        await services.record("tenants.delete", .success, context: context, target: "tenant:\(id)")
        return Response(status: .noContent)
    }
}
