import Foundation
import Hummingbird

/// `/api/v1/tracks`: track summaries of the cameras the caller sees, newest first, in keyset pages.
struct TrackController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) { group.get(use: list) }

    struct TrackList: ResponseEncodable {
        var tracks: [TrackSummary]
        var nextCursor: String?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> TrackList {
        let caller = try context.caller()
        let f = try ListParameters(Query(request), keyset: TrackRepository.trackKeyset)
        let page = try await services.tracks.tracks(f, scope: caller.scope)
        return TrackList(tracks: page.items, nextCursor: page.nextCursor)
    }
}
