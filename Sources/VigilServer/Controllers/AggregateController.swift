import Foundation
import Hummingbird

/// `/api/v1/aggregates`: windowed rows of the cameras the caller sees, newest first, in keyset pages.
struct AggregateController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) { group.get(use: list) }

    struct AggregateList: ResponseEncodable {
        var aggregates: [AggregateRow]
        var nextCursor: String?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> AggregateList {
        let caller = try context.caller()
        let q = Query(request)
        let f = try ListParameters(q, keyset: AggregateRepository.keyset)
        let page = try await services.aggregates.list(f, names: try q.names("names"), zones: try q.names("zones"), scope: caller.scope)
        return AggregateList(aggregates: page.items, nextCursor: page.nextCursor)
    }
}
