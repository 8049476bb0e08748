import Foundation
import Hummingbird

/// `/api/v1/identities`: people across cameras (global ids of `reidentify`), newest first, with the
/// caller's cameras they were seen on and when.
struct IdentityController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) { group.get(use: list) }

    struct IdentityList: ResponseEncodable {
        var identities: [Identity]
        var nextCursor: String?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> IdentityList {
        let caller = try context.caller()
        let f = try ListParameters(Query(request), keyset: TrackRepository.identityKeyset)
        let page = try await services.tracks.identities(f, scope: caller.scope)
        return IdentityList(identities: page.items, nextCursor: page.nextCursor)
    }
}
