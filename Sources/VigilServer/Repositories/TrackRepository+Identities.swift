import Foundation
import VigilStore

/// A person across cameras (`identities`, per run): when and on which of the caller's cameras they were seen.
struct Identity: Codable, Sendable {
    struct Sighting: Codable, Sendable {
        var cameraId: Int
        var firstSeen: Date
        var lastSeen: Date
        var tracks: Int
    }

    var runId: Int
    var globalId: Int
    var firstSeen: Date
    var lastSeen: Date
    /// The identity's cameras that the caller may see.
    var cameras: [Int]
    /// Per camera (of those), the first and last sighting and how many tracks it took.
    var sightings: [Sighting]
}

extension TrackRepository {
    static let identityKeyset = Keyset(list: "identities", time: "i.first_seen", ids: ["i.run_id", "i.global_id"], descending: true)
    private static let timeText = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'"

    /// Identities with at least one camera in the caller's scope; their cameras and sightings are limited to it.
    func identities(_ f: ListParameters, scope: Scope) async throws -> Page<Identity> {
        var sql = SQLBuilder()
        let visibleCameras = "ARRAY(SELECT c.id FROM cameras c WHERE c.id = ANY(i.cameras) AND \(scope.cameras("c", &sql)) ORDER BY c.id)"
        let sightings = """
            coalesce((SELECT json_agg(json_build_object('camera_id', s.camera_id, 'first_seen', to_char(s.first_seen AT TIME ZONE 'UTC', \(Self.timeText)),
                'last_seen', to_char(s.last_seen AT TIME ZONE 'UTC', \(Self.timeText)), 'tracks', s.tracks) ORDER BY s.first_seen, s.camera_id)
              FROM (SELECT t.camera_id, min(t.first_seen) AS first_seen, max(t.last_seen) AS last_seen, count(*) AS tracks
                    FROM tracks t JOIN cameras c ON c.id = t.camera_id
                    WHERE t.run_id = i.run_id AND t.global_id = i.global_id AND \(scope.cameras("c", &sql)) GROUP BY t.camera_id) s), '[]')::text
            """
        var conditions = ["EXISTS (SELECT 1 FROM cameras c WHERE c.id = ANY(i.cameras) AND \(scope.cameras("c", &sql)))"]
        if let cameras = f.cameras { conditions.append("i.cameras && \(sql.bind(.array(cameras)))::int4[]") }
        if let global = f.globalID { conditions.append("i.global_id = \(sql.bind(global))") }
        if let run = f.runID { conditions.append("i.run_id = \(sql.bind(run))") }
        if let after = f.after { conditions.append("i.last_seen >= \(sql.bind(after))") }
        if let before = f.before { conditions.append("i.first_seen < \(sql.bind(before))") }
        if let cursor = f.cursor { conditions.append(Self.identityKeyset.after(cursor, &sql)) }
        let text = """
            SELECT i.run_id, i.global_id, i.first_seen, i.last_seen, array_to_json(\(visibleCameras))::text, \(sightings), \(Self.identityKeyset.select)
            FROM identities i WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(Self.identityKeyset.orderBy) LIMIT \(sql.bind(f.limit + 1))
            """
        let rows = try await database.query(text, binding: sql.binds, doing: "listing identities")
        let page = try Self.identityKeyset.page(rows, limit: f.limit) { values in
            let r = Row(values)
            let cameras = (try? JSONDecoder().decode([Int].self, from: Data(try r.text(4).utf8))) ?? []
            let sightings = (try? APIJSON.decoder.decode([Identity.Sighting].self, from: Data(try r.text(5).utf8))) ?? []
            return Identity(runId: try r.int(0), globalId: try r.int(1), firstSeen: try r.time(2), lastSeen: try r.time(3), cameras: cameras,
                            sightings: sightings)
        }
        return Page(items: page.items, nextCursor: page.next)
    }
}
