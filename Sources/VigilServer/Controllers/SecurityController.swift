import Foundation
import Hummingbird

/// `/api/v1/security/alerts`: security alerts raised by the rules over the audit log; administrators see
/// all, supervisors their tenant's.
struct SecurityController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("alerts", use: alerts)
    }

    struct AlertList: ResponseEncodable { var alerts: [SecurityAlert] }

    @Sendable func alerts(_ request: Request, context: AppRequestContext) async throws -> AlertList {
        let caller = try context.caller()
        guard caller.role == .admin || caller.role == .supervisor else { throw APIError.forbidden("only administrators and supervisors read security alerts") }
        let q = Query(request)
        return AlertList(alerts: try await services.alerts.list(scope: caller.scope, rule: try q.text("rule", max: 64), from: try q.time("from"),
                                                                to: try q.time("to"), limit: try q.limit()))
    }
}
