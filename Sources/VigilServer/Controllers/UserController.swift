import Foundation
import Hummingbird
import HTTPTypes

extension User: ResponseEncodable {}

/// `/api/v1/users`: admins manage everyone, supervisors the users of their tenant; everyone reads and
/// edits their own names. Camera assignments live under `/users/{id}/cameras`.
struct UserController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: get)
        group.patch(":id", use: update)
        group.delete(":id", use: delete)
        group.post(":id/activate", use: activate)
        group.post(":id/deactivate", use: deactivate)
        group.get(":id/cameras", use: assignments)
        group.put(":id/cameras", use: assign)
    }

    struct UserList: ResponseEncodable {
        var users: [User]
        var total: Int
        var limit: Int
        var offset: Int
    }

    struct CreateRequest: Decodable {
        var username: String
        var email: String
        var password: String
        var role: Role
        var tenantId: Int?
        var firstName: String?
        var lastName: String?
        var status: AccountStatus?
    }

    struct UpdateRequest: Decodable {
        var firstName: String?
        var lastName: String?
        var email: String?
        var role: Role?
        var status: AccountStatus?
    }

    struct Assignments: Codable, ResponseEncodable {
        var cameraIds: [Int]
    }

    private func requireManager(_ caller: Caller) throws {
        guard caller.role.managesUsers else { throw APIError.forbidden("only administrators and supervisors manage users") }
    }

    /// 404 for a user outside the caller's scope; a user of another tenant is also written to the audit log.
    private func notVisible(_ id: UUID, _ caller: Caller, context: AppRequestContext) async throws -> APIError {
        if let tenant = try await services.users.unscopedTenant(of: id), tenant != caller.tenantID, caller.role != .admin {
            await services.record("access.cross_tenant", .denied, context: context, target: "user:\(id.uuidString)")
        }
        return APIError.notFound("user")
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> UserList {
        let caller = try context.caller()
        try requireManager(caller)
        let q = Query(request)
        let filter = UserFilter(tenantID: try q.int("tenant_id", in: 1...Int(Int32.max)), role: try q.oneOf("role", Role.self),
                                status: try q.oneOf("status", AccountStatus.self), search: try q.text("q"), limit: try q.limit(), offset: try q.offset())
        let (users, total) = try await services.users.list(filter, scope: caller.scope)
        return UserList(users: users, total: total, limit: filter.limit, offset: filter.offset)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<User> {
        let caller = try context.caller()
        try requireManager(caller)
        let body = try await request.json(CreateRequest.self, context: context)
        try Validate.username(body.username)
        try Validate.email(body.email)
        if let problem = Passwords.problem(with: body.password) { throw APIError.unprocessable(problem) }
        guard caller.role.assignable.contains(body.role) else { throw APIError.forbidden("a \(caller.role.rawValue) cannot create a \(body.role.rawValue)") }
        let tenant = body.tenantId ?? caller.tenantID
        guard (1...Int(Int32.max)).contains(tenant) else { throw APIError.unprocessable("tenant_id: no such tenant") }
        guard caller.role == .admin || tenant == caller.tenantID else { throw APIError.forbidden("supervisors create users in their own tenant only") }
        let user = try await services.users.create(tenantID: tenant, username: body.username, email: body.email,
                                                   passwordHash: try await services.passwords.hash(body.password),
                                                   firstName: try Validate.name(body.firstName ?? ""), lastName: try Validate.name(body.lastName ?? ""),
                                                   role: body.role, status: body.status ?? .active)
        await services.record("users.create", .success, context: context, target: "user:\(user.id.uuidString)")
        return .init(status: .created, response: user)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> User {
        let caller = try context.caller()
        let id = try context.uuidParameter("id", "user")
        guard let user = try await services.users.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        return user
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> User {
        let caller = try context.caller()
        let id = try context.uuidParameter("id", "user")
        let body = try await request.json(UpdateRequest.self, context: context)
        guard let current = try await services.users.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        var changes = UserRepository.Changes()
        changes.firstName = try body.firstName.map { try Validate.name($0) }
        changes.lastName = try body.lastName.map { try Validate.name($0) }
        if body.email != nil || body.role != nil || body.status != nil {
            try requireManager(caller)
            guard id != caller.userID || (body.role == nil && body.status == nil) else {
                throw APIError.forbidden("you cannot change your own role or status")
            }
            guard caller.role == .admin || current.role != .admin else { throw APIError.forbidden("only administrators change administrators") }
            if let email = body.email { try Validate.email(email); changes.email = email }
            if let role = body.role {
                guard caller.role.assignable.contains(role) else { throw APIError.forbidden("a \(caller.role.rawValue) cannot give the role \(role.rawValue)") }
                changes.role = role
            }
            changes.status = body.status
        }
        guard let user = try await services.users.update(id, changes, scope: caller.scope) else { throw APIError.notFound("user") }
        if changes.role != nil || changes.status != nil { services.standingCache.forget(username: user.username) }
        if let status = changes.status, status != .active {
            for session in try await services.sessions.revokeAll(userID: id, reason: "account \(status.rawValue)") { services.standingCache.forget(session: session) }
        }
        await services.record("users.update", .success, context: context, target: "user:\(id.uuidString)",
                              details: ["fields": .array(Self.fields(body).map(JSONValue.string))])
        return user
    }

    private static func fields(_ body: UpdateRequest) -> [String] {
        var out: [String] = []
        if body.firstName != nil { out.append("first_name") }
        if body.lastName != nil { out.append("last_name") }
        if body.email != nil { out.append("email") }
        if body.role != nil { out.append("role") }
        if body.status != nil { out.append("status") }
        return out
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        guard caller.role == .admin else { throw APIError.forbidden("only administrators delete users") }
        let id = try context.uuidParameter("id", "user")
        guard id != caller.userID else { throw APIError.forbidden("you cannot delete yourself") }
        guard let user = try await services.users.get(id, scope: caller.scope) else { throw APIError.notFound("user") }
        _ = try await services.users.delete(id, scope: caller.scope)
        services.standingCache.forget(username: user.username)
        await services.record("users.delete", .success, context: context, target: "user:\(id.uuidString)")
        return Response(status: .noContent)
    }

    @Sendable func activate(_ request: Request, context: AppRequestContext) async throws -> User {
        try await setStatus(.active, request, context)
    }

    @Sendable func deactivate(_ request: Request, context: AppRequestContext) async throws -> User {
        try await setStatus(.deactivated, request, context)
    }

    private func setStatus(_ status: AccountStatus, _ request: Request, _ context: AppRequestContext) async throws -> User {
        let caller = try context.caller()
        try requireManager(caller)
        let id = try context.uuidParameter("id", "user")
        guard id != caller.userID else { throw APIError.forbidden("you cannot change your own status") }
        guard let current = try await services.users.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        guard caller.role == .admin || current.role != .admin else { throw APIError.forbidden("only administrators change administrators") }
        guard let user = try await services.users.update(id, .init(status: status), scope: caller.scope) else { throw APIError.notFound("user") }
        services.standingCache.forget(username: user.username)
        if status != .active {
            for session in try await services.sessions.revokeAll(userID: id, reason: "account \(status.rawValue)") { services.standingCache.forget(session: session) }
        }
        await services.record(status == .active ? "users.activate" : "users.deactivate", .success, context: context, target: "user:\(id.uuidString)")
        return user
    }

    @Sendable func assignments(_ request: Request, context: AppRequestContext) async throws -> Assignments {
        let caller = try context.caller()
        let id = try context.uuidParameter("id", "user")
        guard try await services.users.get(id, scope: caller.scope) != nil else { throw try await notVisible(id, caller, context: context) }
        return Assignments(cameraIds: try await services.cameras.assignments(of: id, scope: caller.scope))
    }

    @Sendable func assign(_ request: Request, context: AppRequestContext) async throws -> Assignments {
        let caller = try context.caller()
        try requireManager(caller)
        let id = try context.uuidParameter("id", "user")
        let body = try await request.json(Assignments.self, context: context)
        guard body.cameraIds.count <= 10_000, body.cameraIds.allSatisfy({ (1...Int(Int32.max)).contains($0) }) else {
            throw APIError.unprocessable("camera_ids: at most 10000 camera ids")
        }
        switch try await services.cameras.assign(body.cameraIds, to: id, scope: caller.scope) {
        case .noUser: throw try await notVisible(id, caller, context: context)
        case .unknownCameras: throw APIError.unprocessable("camera_ids: every camera must exist in the user's tenant")
        case .assigned(let ids):
            await services.record("users.assign_cameras", .success, context: context, target: "user:\(id.uuidString)",
                                  details: ["camera_ids": .array(ids.map { .number(Double($0)) })])
            return Assignments(cameraIds: ids)
        }
    }
}
