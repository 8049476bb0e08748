import Foundation
import VigilStore

/// `pushed_frames`: the JPEGs clients push to push cameras (URL `push:`), for the workers' `push`
/// sources. One statement stores a frame — only to a camera in the caller's scope — prunes the
/// camera's frames older than the retention, and notifies the workers.
struct PushedFrameRepository: Sendable {
    let database: Database

    enum Outcome: Equatable {
        case stored(seq: Int, receivedAt: Date)
        /// Not in the caller's scope, or no such camera.
        case noCamera
        /// The camera exists for the caller but its frames come from its URL, not from clients.
        case notPushCamera
    }

    func store(_ jpeg: [UInt8], camera: Int, capturedAt: Date?, retention: TimeInterval, scope: Scope) async throws -> Outcome {
        var sql = SQLBuilder()
        let id = sql.bind(camera)
        let text = """
            WITH cam AS (SELECT c.id, c.url LIKE \(sql.bind(PushedFrames.cameraURLPrefix + "%")) AS push FROM cameras c
                         WHERE c.id = \(id) AND \(scope.cameras("c", &sql))),
            ins AS (INSERT INTO pushed_frames (camera_id, captured_at, jpeg)
                    SELECT id, \(sql.bind(capturedAt.map(SQLValue.time) ?? .null))::timestamptz, \(sql.bind(.bytes(Data(jpeg))))
                    FROM cam WHERE push RETURNING seq, received_at),
            pruned AS (DELETE FROM pushed_frames p USING cam WHERE cam.push AND p.camera_id = cam.id
                       AND p.received_at < clock_timestamp() - make_interval(secs => \(sql.bind(.double(retention))))),
            note AS (SELECT pg_notify('\(LiveChannels.pushedFrames)', \(id)::text) FROM ins)
            SELECT (SELECT count(*) FROM cam), (SELECT bool_or(push) FROM cam), (SELECT seq FROM ins), (SELECT received_at FROM ins),
                   (SELECT count(*) FROM note)
            """
        let row = try await database.query(text, binding: sql.binds, doing: "storing a pushed frame").first.map(Row.init)
        guard let row, try row.int(0) == 1 else { return .noCamera }
        guard row.optionalBool(1) == true, let seq = row.optionalInt(2), let at = row.optionalTime(3) else { return .notPushCamera }
        return .stored(seq: seq, receivedAt: at)
    }
}
