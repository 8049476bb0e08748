import Foundation
import VigilStore

/// Cameras' latest frames (`camera_frames`, written by the `preview` sink). Callers check visibility first
/// (the camera through ``CameraRepository``, the task through ``ProcessingTaskRepository``).
struct MediaRepository: Sendable {
    let database: Database

    struct Frame: Sendable {
        var jpeg: Data
        var time: Date
        var frameIndex: Int
    }

    func latestFrame(camera: Int, annotated: Bool) async throws -> Frame? {
        let rows = try await database.query("""
            SELECT \(annotated ? "annotated" : "raw"), time, frame_index FROM camera_frames WHERE camera_id = $1::int4
            """, binding: [.int(camera)], doing: "reading a camera's latest frame")
        guard let values = rows.first, let jpeg = values[0].bytes else { return nil }
        let r = Row(values)
        return Frame(jpeg: jpeg, time: try r.time(1), frameIndex: try r.int(2))
    }
}

/// Where a camera's recorded footage sits on the media timeline: the run that processed it and the wall
/// time of its media time 0 (the camera's own origin in a job over recorded files, else the run's).
struct RecordingTimeline: Sendable {
    var runID: Int
    var origin: Date

    func mediaTime(_ time: Date) -> Double { time.timeIntervalSince(origin) }
}

/// One sighting of a person chosen for a crop: the frame's media time and the box in source pixels.
struct Sighting: Sendable {
    var cameraID: Int
    var cameraName: String
    var cameraURL: String?
    var runID: Int
    var time: Date
    var mediaTime: Double
    var box: (x: Double, y: Double, width: Double, height: Double)
    var trackID: Int
    var globalID: Int?
}

extension MediaRepository {
    /// The timeline of `camera`'s recording: `run` when given, else the camera's latest run with tracks.
    /// The caller has checked the camera is in its scope.
    func timeline(camera: Int, cameraName: String, run: Int?) async throws -> RecordingTimeline? {
        let rows = try await database.query("""
            SELECT r.id, coalesce((r.time_origins ->> $2::text)::timestamptz, r.time_origin) FROM runs r
            WHERE r.id = (SELECT max(run_id) FROM tracks WHERE camera_id = $1::int4 AND ($3::int8 IS NULL OR run_id = $3::int8))
            """, binding: [.int(camera), .text(cameraName), run.map(SQLValue.int) ?? .null], doing: "finding the camera's recording")
        guard let row = rows.first else { return nil }
        let r = Row(row)
        return RecordingTimeline(runID: try r.int(0), origin: try r.time(1))
    }

    /// The sighting of a track (`camera`, `track`; `run` or the latest run with that track) or of a
    /// person across cameras (`globalID`) that shows them best: the largest box, or the one nearest
    /// `near` when given. Only cameras in `scope` are read.
    func sighting(camera: Int?, track: Int?, globalID: Int?, run: Int?, near: Date?, scope: Scope) async throws -> Sighting? {
        var sql = SQLBuilder()
        var conditions = [scope.cameras("c", &sql)]
        if let camera, let track {
            conditions.append("p.camera_id = \(sql.bind(camera))")
            conditions.append("p.track_id = \(sql.bind(track))")
            let runBind = run.map { sql.bind($0) }
            conditions.append("p.run_id = " + (runBind.map { "\($0)::int8" } ?? "(SELECT max(run_id) FROM tracks WHERE camera_id = \(sql.bind(camera)) AND track_id = \(sql.bind(track)))"))
        } else if let globalID {
            conditions.append("p.global_id = \(sql.bind(globalID))")
            if let run { conditions.append("p.run_id = \(sql.bind(run))::int8") }
        } else {
            return nil
        }
        let order = near.map { "abs(extract(epoch FROM p.time - \(sql.bind($0))))" } ?? "p.w * p.h DESC, p.score DESC"
        let text = """
            SELECT p.camera_id, c.name, c.url, p.run_id, p.time, p.media_time, p.x, p.y, p.w, p.h, p.track_id, p.global_id
            FROM track_points p JOIN cameras c ON c.id = p.camera_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(order), p.time LIMIT 1
            """
        guard let values = try await database.query(text, binding: sql.binds, doing: "finding a sighting").first else { return nil }
        let r = Row(values)
        return Sighting(cameraID: try r.int(0), cameraName: try r.text(1), cameraURL: r.optionalText(2), runID: try r.int(3), time: try r.time(4),
                        mediaTime: try r.double(5), box: (try r.double(6), try r.double(7), try r.double(8), try r.double(9)),
                        trackID: try r.int(10), globalID: r.optionalInt(11))
    }
}
