import Foundation
import Hummingbird
import HTTPTypes

extension ActivityEntry: ResponseEncodable {}

/// `/api/v1/activity`: the audit log. Clients add what they did (`POST`, recorded as `client.<action>`);
/// administrators read everything, supervisors their tenant, everyone else their own rows.
struct ActivityController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: add)
        group.get("summary", use: summary)
    }

    struct ActivityList: ResponseEncodable {
        var activity: [ActivityEntry]
        /// Pass as `before` to get the next (older) page; absent on the last page.
        var next: String?
    }

    struct ClientActivity: Decodable {
        var action: String
        var target: String?
        var details: [String: JSONValue]?
    }

    struct Summary: ResponseEncodable { var rows: [ActivityRepository.SummaryRow] }

    private func filter(_ request: Request) throws -> ActivityFilter {
        let q = Query(request)
        var filter = ActivityFilter(userID: try q.uuid("user_id"), action: try q.text("action", max: 100),
                                    outcome: try q.oneOf("outcome", ActivityEntry.Outcome.self), from: try q.time("from"), to: try q.time("to"),
                                    limit: try q.limit())
        if let cursor = try q.text("before", max: 64) {
            let parts = cursor.split(separator: "_")
            guard parts.count == 2, let micros = Int64(parts[0]), let id = Int(parts[1]) else {
                throw APIError.badRequest("query parameter before: expected the `next` value of an earlier page", code: "invalid_parameter")
            }
            filter.before = (Date(timeIntervalSince1970: Double(micros) / 1e6), id)
        }
        return filter
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ActivityList {
        let caller = try context.caller()
        let filter = try filter(request)
        let rows = try await services.activity.list(filter, scope: caller.scope)
        var next: String?
        if rows.count == filter.limit, let last = rows.last {
            next = "\(Int64((last.time.timeIntervalSince1970 * 1e6).rounded()))_\(last.id)"
        }
        return ActivityList(activity: rows, next: next)
    }

    @Sendable func summary(_ request: Request, context: AppRequestContext) async throws -> Summary {
        let caller = try context.caller()
        return Summary(rows: try await services.activity.summary(try filter(request), scope: caller.scope))
    }

    @Sendable func add(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ActivityEntry> {
        let caller = try context.caller()
        let body = try await request.json(ClientActivity.self, context: context)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard (1...64).contains(body.action.count), body.action.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            throw APIError.unprocessable("action: 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
        }
        let details = JSONValue.object(body.details ?? [:])
        guard !details.text.contains("\\u0000") else { throw APIError.unprocessable("details: text must not contain NUL characters") }
        guard details.text.utf8.count <= 8192 else { throw APIError.unprocessable("details: at most 8 kB of JSON") }
        guard let row = await services.audit.record(.init(tenantID: caller.tenantID, userID: caller.userID, username: caller.username,
                                                          address: context.clientAddress, action: "client." + body.action,
                                                          target: try body.target.map { try Validate.name($0, field: "target", max: 200) },
                                                          outcome: .success, requestID: context.id, source: "client", details: details)) else {
            throw APIError(.serviceUnavailable, code: "unavailable", "the activity log cannot be written now; retry")
        }
        return .init(status: .created, response: row)
    }
}
