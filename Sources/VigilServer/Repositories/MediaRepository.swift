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
