import Foundation
import Hummingbird
import HTTPTypes

extension Environment: ResponseEncodable {}

/// `/api/v1/environments`: a tenant's sites (a campus, a factory) grouping its cameras (a camera joins one
/// with `environment_id` on `/cameras`). Everyone reads the environments they may see (admins all,
/// supervisors their tenant's, others those holding a camera assigned to them); supervisors and admins
/// create, rename and delete them. `GET /{id}/date-ranges`: the UTC days with stored data of its cameras.
struct EnvironmentController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: get)
        group.patch(":id", use: rename)
        group.delete(":id", use: delete)
        group.get(":id/date-ranges", use: dateRanges)
    }

    struct EnvironmentList: ResponseEncodable { var environments: [Environment] }
    struct CreateRequest: Decodable { var name: String; var tenantId: Int? }
    struct RenameRequest: Decodable { var name: String }

    struct DayRange: Codable, Sendable { var from: String; var to: String }
    struct DateRanges: ResponseEncodable {
        var environmentId: Int
        /// `YYYY-MM-DD`, UTC, ascending.
        var days: [String]
        /// Runs of consecutive days, both ends included.
        var ranges: [DayRange]
    }

    private static func name(_ text: String) throws -> String {
        let name = text.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw APIError.unprocessable("name: must not be empty") }
        return try Validate.name(name, field: "name")
    }

    private func requireWriter(_ caller: Caller) throws {
        guard caller.role.writesCameras else { throw APIError.forbidden("only administrators and supervisors change environments") }
    }

    private func visible(_ id: Int, _ caller: Caller, context: AppRequestContext) async throws -> Environment {
        if let environment = try await services.environments.get(id, scope: caller.scope) { return environment }
        if caller.role != .admin, let tenant = try await services.environments.unscopedOwner(id), tenant != caller.tenantID {
            await services.record("access.cross_tenant", .denied, context: context, target: "environment:\(id)")
        }
        throw APIError.notFound("environment")
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> EnvironmentList {
        let caller = try context.caller()
        let q = Query(request)
        return EnvironmentList(environments: try await services.environments.list(
            scope: caller.scope, tenantID: try q.int("tenant_id", in: 1...Int(Int32.max)), limit: try q.limit(default: 100, max: 1000),
            offset: try q.offset()))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Environment {
        let caller = try context.caller()
        return try await visible(try context.idParameter("id", "environment"), caller, context: context)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Environment> {
        let caller = try context.caller()
        try requireWriter(caller)
        let body = try await request.json(CreateRequest.self, context: context)
        let tenant = body.tenantId ?? caller.tenantID
        guard (1...Int(Int32.max)).contains(tenant) else { throw APIError.unprocessable("tenant_id: no such tenant") }
        guard caller.role == .admin || tenant == caller.tenantID else { throw APIError.forbidden("supervisors create environments in their own tenant only") }
        let environment = try await services.environments.create(tenantID: tenant, name: try Self.name(body.name))
        await services.record("environments.create", .success, context: context, target: "environment:\(environment.id)")
        return .init(status: .created, response: environment)
    }

    @Sendable func rename(_ request: Request, context: AppRequestContext) async throws -> Environment {
        let caller = try context.caller()
        let id = try context.idParameter("id", "environment")
        let body = try await request.json(RenameRequest.self, context: context)
        _ = try await visible(id, caller, context: context)
        try requireWriter(caller)
        guard try await services.environments.rename(id, to: try Self.name(body.name), scope: caller.scope) else { throw APIError.notFound("environment") }
        await services.record("environments.update", .success, context: context, target: "environment:\(id)")
        return try await visible(id, caller, context: context)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.idParameter("id", "environment")
        _ = try await visible(id, caller, context: context)
        try requireWriter(caller)
        guard try await services.environments.delete(id, scope: caller.scope) else { throw APIError.notFound("environment") }
        await services.record("environments.delete", .success, context: context, target: "environment:\(id)")
        return Response(status: .noContent)
    }

    @Sendable func dateRanges(_ request: Request, context: AppRequestContext) async throws -> DateRanges {
        let caller = try context.caller()
        let id = try context.idParameter("id", "environment")
        _ = try await visible(id, caller, context: context)
        let days = try await services.environments.days(of: id, scope: caller.scope)
        return DateRanges(environmentId: id, days: days, ranges: Self.ranges(days))
    }

    /// Consecutive `YYYY-MM-DD` days merged into ranges.
    static func ranges(_ days: [String]) -> [DayRange] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func date(_ day: String) -> Date? {
            let parts = day.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3 else { return nil }
            return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
        }
        var out: [DayRange] = []
        var previous: Date?
        for day in days {
            guard let current = date(day) else { continue }
            if let previous, calendar.date(byAdding: .day, value: 1, to: previous) == current, !out.isEmpty {
                out[out.count - 1].to = day
            } else {
                out.append(DayRange(from: day, to: day))
            }
            previous = current
        }
        return out
    }
}
