import Foundation
import VigilStore

/// What `/ws/system` shows: the workers alive, the job queue's depth, and per camera of running tasks
/// the frames, frames/s and dropped frames its live job reports. Administrators see the whole site;
/// everyone else their tenant's jobs (and the workers running them) and the cameras in their scope —
/// each statement takes the scope in its SQL.
struct SystemRepository: Sendable {
    let database: Database

    struct Snapshot: Encodable, Sendable {
        var type = "system"
        var time: Date
        var workers: [Worker]
        var queue: [String: Int]
        var cameras: [CameraWork]
        var framesPerSecond: Double
        var droppedFrames: Int
    }

    struct Worker: Encodable, Sendable {
        var name: String
        var host: String
        var heartbeatAt: Date
        var runningJobs: Int
    }

    struct CameraWork: Encodable, Sendable {
        var cameraId: Int
        var name: String
        var taskId: Int
        var jobId: Int
        var frames: Int
        var framesPerSecond: Double?
        var droppedFrames: Int
    }

    /// Workers with a heartbeat in the last minute.
    func snapshot(scope: Scope) async throws -> Snapshot {
        var sql = SQLBuilder()
        let jobs = scope.role == .admin ? "TRUE" : "j.tenant_id = \(sql.bind(scope.tenantID))"
        let workers = try await database.query("""
            SELECT w.name, w.host, w.heartbeat_at, count(j.id)
            FROM job_workers w LEFT JOIN jobs j ON j.leased_by = w.name AND j.state = 'running' AND \(jobs)
            WHERE w.heartbeat_at > now() - interval '60 seconds' AND NOT w.stopping
            GROUP BY w.name, w.host, w.heartbeat_at
            HAVING \(scope.role == .admin ? "TRUE" : "count(j.id) > 0") ORDER BY w.name
            """, binding: sql.binds, doing: "reading the workers").map { values in
            let r = Row(values)
            return Worker(name: try r.text(0), host: try r.text(1), heartbeatAt: try r.time(2), runningJobs: try r.int(3))
        }
        var q = SQLBuilder()
        let queueScope = scope.role == .admin ? "TRUE" : "j.tenant_id = \(q.bind(scope.tenantID))"
        var queue = ["available": 0, "running": 0, "retryable": 0]
        for values in try await database.query("""
            SELECT j.state, count(*) FROM jobs j WHERE j.state IN ('available', 'running', 'retryable') AND \(queueScope) GROUP BY j.state
            """, binding: q.binds, doing: "reading the queue") {
            let r = Row(values)
            queue[try r.text(0)] = try r.int(1)
        }
        var c = SQLBuilder()
        let cameras = try await database.query("""
            SELECT tc.camera_id, c.name, tc.task_id, j.id, coalesce((j.progress->>'frames')::int8, r.frames, 0),
                   CASE WHEN r.started_at IS NULL THEN NULL
                        ELSE (r.frames / greatest(extract(epoch FROM now() - r.started_at), 0.001))::float8 END,
                   coalesce((j.progress->>'dropped_frames')::int8, 0)
            FROM processing_task_cameras tc JOIN cameras c ON c.id = tc.camera_id
            JOIN jobs j ON j.id = tc.job_id AND j.state = 'running'
            LEFT JOIN LATERAL (SELECT frames, started_at FROM runs WHERE job_id = j.id ORDER BY id DESC LIMIT 1) r ON true
            WHERE \(scope.cameras("c", &c)) ORDER BY tc.camera_id, tc.task_id
            """, binding: c.binds, doing: "reading the cameras' work").map { values in
            let r = Row(values)
            return CameraWork(cameraId: try r.int(0), name: try r.text(1), taskId: try r.int(2), jobId: try r.int(3), frames: try r.int(4),
                              framesPerSecond: r.optionalDouble(5), droppedFrames: try r.int(6))
        }
        return Snapshot(time: Date(), workers: workers, queue: queue, cameras: cameras,
                        framesPerSecond: cameras.compactMap(\.framesPerSecond).reduce(0, +), droppedFrames: cameras.map(\.droppedFrames).reduce(0, +))
    }
}
