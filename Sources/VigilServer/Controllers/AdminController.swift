import Foundation
import Hummingbird
import HTTPTypes

extension DashboardRepository.Stats: ResponseEncodable {}
extension Department: ResponseEncodable {}
extension DepartmentRepository.Statistics: ResponseEncodable {}
extension StaffRepository.ActivitySummary: ResponseEncodable {}
extension StaffRepository.Performance: ResponseEncodable {}

/// `/api/v1/admin`: the facility activity dashboard for administrators (every tenant, or one with
/// `tenant_id`) and supervisors (their tenant): counts of users, sessions, activity, alerts and cameras;
/// departments and their statistics; a staff member's activity and performance; suspicious activity.
/// Everyone else gets 403; rows of another tenant are 404.
struct AdminController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("dashboard/stats", use: stats)
        group.get("departments", use: departments)
        group.post("departments", use: createDepartment)
        group.get("departments/:id", use: department)
        group.delete("departments/:id", use: deleteDepartment)
        group.get("departments/:id/statistics", use: departmentStatistics)
        group.put("departments/:id/members/:user_id", use: addMember)
        group.delete("departments/:id/members/:user_id", use: removeMember)
        group.get("staff/:id/activity", use: staffActivity)
        group.get("staff/:id/performance", use: staffPerformance)
        group.get("suspicious-activity", use: suspicious)
    }

    private var dashboard: DashboardRepository { DashboardRepository(database: services.database) }
    private var departmentRows: DepartmentRepository { DepartmentRepository(database: services.database) }
    private var staff: StaffRepository { StaffRepository(database: services.database) }

    private func manager(_ context: AppRequestContext) throws -> Caller {
        let caller = try context.caller()
        guard caller.role.managesUsers else { throw APIError.forbidden("the facility dashboard is for administrators and supervisors") }
        return caller
    }

    /// `tenant_id`: an administrator's narrowing to one tenant (a supervisor's is always their own).
    private func tenant(_ q: Query) throws -> Int? { try q.int("tenant_id", in: 1...Int(Int32.max)) }

    /// `period` (default `day`) and `date` (default now): the UTC range.
    private func period(_ q: Query) throws -> (name: String, from: Date, to: Date) {
        let period = try q.oneOf("period", AnalyticsRepository.Period.self) ?? .day
        let (from, to) = period.range(containing: try q.time("date") ?? Date())
        return (period.rawValue, from, to)
    }

    @Sendable func stats(_ request: Request, context: AppRequestContext) async throws -> DashboardRepository.Stats {
        let caller = try manager(context)
        return try await dashboard.stats(scope: caller.scope, tenant: try tenant(Query(request)))
    }

    // MARK: Departments

    struct DepartmentList: ResponseEncodable { var departments: [Department] }

    @Sendable func departments(_ request: Request, context: AppRequestContext) async throws -> DepartmentList {
        let caller = try manager(context)
        return DepartmentList(departments: try await departmentRows.list(scope: caller.scope, tenant: try tenant(Query(request))))
    }

    struct NewDepartment: Decodable {
        var name: String
        var description: String?
        /// Administrators only (default: their own tenant).
        var tenantId: Int?
    }

    @Sendable func createDepartment(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Department> {
        let caller = try manager(context)
        let body = try await request.json(NewDepartment.self, context: context)
        let name = try Validate.name(body.name.trimmingCharacters(in: .whitespaces))
        guard !name.isEmpty else { throw APIError.unprocessable("name: 1 to 100 characters on one line") }
        let description = try Validate.name(body.description ?? "", field: "description", max: 500)
        if let tenant = body.tenantId, tenant != caller.tenantID, caller.role != .admin {
            throw APIError.forbidden("supervisors make departments of their own tenant")
        }
        let department = try await departmentRows.create(tenant: body.tenantId ?? caller.tenantID, name: name, description: description)
        await services.record("department.create", .success, context: context, target: "department:\(department.id)")
        return .init(status: .created, headers: [.location: "/api/v1/admin/departments/\(department.id)"], response: department)
    }

    @Sendable func department(_ request: Request, context: AppRequestContext) async throws -> Department {
        let caller = try manager(context)
        let id = try context.idParameter("id", "department")
        guard let department = try await departmentRows.get(id, scope: caller.scope) else { throw APIError.notFound("department") }
        return department
    }

    @Sendable func deleteDepartment(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try manager(context)
        let id = try context.idParameter("id", "department")
        guard try await departmentRows.delete(id, scope: caller.scope) else { throw APIError.notFound("department") }
        await services.record("department.delete", .success, context: context, target: "department:\(id)")
        return Response(status: .noContent)
    }

    @Sendable func departmentStatistics(_ request: Request, context: AppRequestContext) async throws -> DepartmentRepository.Statistics {
        let caller = try manager(context)
        let id = try context.idParameter("id", "department")
        let period = try period(Query(request))
        guard let statistics = try await departmentRows.statistics(id, from: period.from, to: period.to, period: period.name, scope: caller.scope) else {
            throw APIError.notFound("department")
        }
        return statistics
    }

    @Sendable func addMember(_ request: Request, context: AppRequestContext) async throws -> Department {
        let caller = try manager(context)
        let id = try context.idParameter("id", "department")
        let user = try context.uuidParameter("user_id", "user")
        guard try await departmentRows.add(user: user, to: id, scope: caller.scope),
              let department = try await departmentRows.get(id, scope: caller.scope) else {
            throw APIError.notFound("department or user of its tenant")
        }
        await services.record("department.member_add", .success, context: context, target: "department:\(id)",
                              details: ["user": .string(user.uuidString)])
        return department
    }

    @Sendable func removeMember(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try manager(context)
        let id = try context.idParameter("id", "department")
        let user = try context.uuidParameter("user_id", "user")
        guard try await departmentRows.remove(user: user, from: id, scope: caller.scope) else { throw APIError.notFound("member of the department") }
        await services.record("department.member_remove", .success, context: context, target: "department:\(id)",
                              details: ["user": .string(user.uuidString)])
        return Response(status: .noContent)
    }

    // MARK: Staff

    @Sendable func staffActivity(_ request: Request, context: AppRequestContext) async throws -> StaffRepository.ActivitySummary {
        let caller = try manager(context)
        let id = try context.uuidParameter("id", "staff member")
        let period = try period(Query(request))
        guard let summary = try await staff.activity(id, from: period.from, to: period.to, period: period.name, scope: caller.scope) else {
            throw APIError.notFound("staff member")
        }
        return summary
    }

    @Sendable func staffPerformance(_ request: Request, context: AppRequestContext) async throws -> StaffRepository.Performance {
        let caller = try manager(context)
        let id = try context.uuidParameter("id", "staff member")
        let period = try period(Query(request))
        guard let performance = try await staff.performance(id, from: period.from, to: period.to, period: period.name, scope: caller.scope) else {
            throw APIError.notFound("staff member")
        }
        return performance
    }

    // MARK: Suspicious activity

    struct SuspiciousList: ResponseEncodable {
        var from: Date
        var to: Date
        var items: [DashboardRepository.Suspicious]
    }

    /// `from`/`to` (default: the last 24 hours), `failed_logins` (the least that is listed, default 3), `limit`.
    @Sendable func suspicious(_ request: Request, context: AppRequestContext) async throws -> SuspiciousList {
        let caller = try manager(context)
        let q = Query(request)
        let to = try q.time("to") ?? Date()
        let from = try q.time("from") ?? to.addingTimeInterval(-86_400)
        guard from <= to else { throw APIError.badRequest("query parameters from, to: from before to", code: "invalid_parameter") }
        let items = try await dashboard.suspicious(scope: caller.scope, tenant: try tenant(q), from: from, to: to,
                                                   threshold: try q.int("failed_logins", in: 1...1000) ?? 3, limit: try q.limit(default: 100, max: 500))
        return SuspiciousList(from: from, to: to, items: items)
    }
}
