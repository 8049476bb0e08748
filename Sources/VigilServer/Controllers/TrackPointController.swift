import Foundation
import Hummingbird

/// `/api/v1/track-points`: stored positions of the cameras the caller sees, oldest first (a trajectory),
/// in keyset pages. Meant with a time range and cameras, a global id or a track: the points of one camera
/// come in order from its (camera_id, time) index.
struct TrackPointController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) { group.get(use: list) }

    struct PointList: ResponseEncodable {
        var points: [StoredTrackPoint]
        var nextCursor: String?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> PointList {
        let caller = try context.caller()
        let q = Query(request)
        let f = try ListParameters(q, keyset: TrackRepository.pointKeyset)
        let page = try await services.tracks.points(f, trackID: try q.int("track_id", in: 0...Int(Int32.max)), scope: caller.scope)
        return PointList(points: page.items, nextCursor: page.nextCursor)
    }
}
