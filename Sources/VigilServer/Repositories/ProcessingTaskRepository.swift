import Foundation
import VigilJobs
import VigilCore
import VigilStore

/// A processing task as the API shows it: what was asked for and, per camera, how its job is doing.
struct ProcessingTask: Codable, Sendable {
    struct CameraWork: Codable, Sendable {
        var cameraId: Int
        var name: String
        var jobId: Int?
        /// The job's state (`available`, `running`, `completed`, ...); `expired` once finished jobs were pruned.
        var state: String
        var attempt: Int
        var framesProcessed: Int
        /// Frames per second of the camera's current (or last) run.
        var framesPerSecond: Double?
        var startedAt: Date?
        var endedAt: Date?
        var progress: JSONValue?
        var error: String?
    }

    var id: Int
    var tenantId: Int
    var environmentId: Int?
    var pipeline: String
    var mode: String
    var from: String?
    var to: String?
    /// `queued`, `running`, `completed`, `failed` or `cancelled` (from its cameras' jobs).
    var state: String
    var stopRequested: Bool
    var createdAt: Date
    var cameras: [CameraWork]
    var errors: [String]

    /// The task's state from its cameras': running while any runs; once all ended, failed if any failed,
    /// cancelled if any was cancelled, else completed; queued before.
    static func state(of cameras: [CameraWork]) -> String {
        let states = Set(cameras.map(\.state))
        if states.contains("running") { return "running" }
        let ended: Set<String> = ["completed", "failed", "cancelled", "expired"]
        guard states.isSubset(of: ended) else { return "queued" }
        if states.contains("failed") { return "failed" }
        if states.contains("cancelled") { return "cancelled" }
        return "completed"
    }
}

/// What a new task holds: its cameras (each with the source URL its job reads) and the jobs to enqueue.
struct NewProcessingTask: Sendable {
    var tenantID: Int
    var environmentID: Int?
    var pipeline: String
    var mode: String
    var from: String?
    var to: String?
    var createdBy: UUID
    /// Camera id -> its job (made by the controller from the pipeline and the camera).
    var jobs: [(camera: Int, job: NewJob)]
}

/// `processing_tasks` and `processing_task_cameras`, with the jobs and runs behind them. A task is visible
/// when the caller sees every one of its cameras (``Scope/cameras(_:_:)``), in the SQL of every read.
struct ProcessingTaskRepository: Sendable {
    let database: Database

    /// Writes the task, its cameras and their jobs in one transaction; returns the task id.
    func create(_ task: NewProcessingTask) async throws -> Int {
        try await database.transaction(doing: "starting a processing task") { session in
            let rows = try await session.query("""
                INSERT INTO processing_tasks (tenant_id, environment_id, pipeline, mode, window_from, window_to, created_by)
                VALUES ($1::int4, $2::int4, $3, $4, $5, $6, $7::uuid) RETURNING id
                """, [.int(task.tenantID), task.environmentID.map(SQLValue.int) ?? .null, .text(task.pipeline), .text(task.mode),
                      task.from.map(SQLValue.text) ?? .null, task.to.map(SQLValue.text) ?? .null, .text(task.createdBy.uuidString)])
            guard let id = rows.first?.first?.int else { throw VigilError(.database, "the processing task was not created") }
            for (camera, new) in task.jobs {
                let job = try await JobQueue.enqueue(new, in: session).job
                _ = try await session.query("""
                    INSERT INTO processing_task_cameras (task_id, camera_id, job_id) VALUES ($1::int8, $2::int4, $3::int8)
                    """, [.int(id), .int(camera), .int(job.id)])
            }
            return id
        }
    }

    private static func visible(_ task: String, _ scope: Scope, _ sql: inout SQLBuilder) -> String {
        let tenant = scope.role == .admin ? "TRUE" : "\(task).tenant_id = \(sql.bind(scope.tenantID))"
        return "(\(tenant) AND NOT EXISTS (SELECT 1 FROM processing_task_cameras vc JOIN cameras c ON c.id = vc.camera_id "
            + "WHERE vc.task_id = \(task).id AND NOT \(scope.cameras("c", &sql))))"
    }

    func get(_ id: Int, scope: Scope) async throws -> ProcessingTask? {
        try await list(scope: scope, id: id, limit: 1, offset: 0).first
    }

    /// Newest first.
    func list(scope: Scope, id: Int? = nil, limit: Int, offset: Int) async throws -> [ProcessingTask] {
        var sql = SQLBuilder()
        var conditions = [Self.visible("t", scope, &sql)]
        if let id { conditions.append("t.id = \(sql.bind(id))") }
        let text = """
            SELECT t.id, t.tenant_id, t.environment_id, t.pipeline, t.mode, t.window_from, t.window_to,
                   t.stop_requested_at IS NOT NULL, t.created_at
            FROM processing_tasks t WHERE \(conditions.joined(separator: " AND "))
            ORDER BY t.id DESC LIMIT \(sql.bind(limit)) OFFSET \(sql.bind(offset))
            """
        let rows = try await database.query(text, binding: sql.binds, doing: "listing processing tasks").map(Row.init)
        let work = try await work(tasks: try rows.map { try $0.int(0) })
        var tasks: [ProcessingTask] = []
        for r in rows {
            let cameras = work[try r.int(0)] ?? []
            tasks.append(ProcessingTask(
                id: try r.int(0), tenantId: try r.int(1), environmentId: r.optionalInt(2), pipeline: try r.text(3), mode: try r.text(4),
                from: r.optionalText(5), to: r.optionalText(6), state: ProcessingTask.state(of: cameras), stopRequested: try r.bool(7),
                createdAt: try r.time(8), cameras: cameras, errors: cameras.compactMap { c in c.error.map { "camera \(c.cameraId): \($0)" } }))
        }
        return tasks
    }

    /// Per camera of the (visible) tasks, by task: its job and the job's latest run, in one query for the page.
    private func work(tasks: [Int]) async throws -> [Int: [ProcessingTask.CameraWork]] {
        guard !tasks.isEmpty else { return [:] }
        var sql = SQLBuilder()
        let text = """
            SELECT tc.task_id, tc.camera_id, c.name, tc.job_id, coalesce(j.state, 'expired'), coalesce(j.attempt, 0),
                   coalesce(r.frames, 0), r.started_at, r.ended_at,
                   CASE WHEN r.started_at IS NULL THEN NULL
                        ELSE (r.frames / greatest(extract(epoch FROM coalesce(r.ended_at, now()) - r.started_at), 0.001))::float8 END,
                   j.progress::text, j.errors -> -1 ->> 'error'
            FROM processing_task_cameras tc JOIN cameras c ON c.id = tc.camera_id
            LEFT JOIN jobs j ON j.id = tc.job_id
            LEFT JOIN LATERAL (SELECT frames, started_at, ended_at FROM runs WHERE job_id = tc.job_id ORDER BY id DESC LIMIT 1) r ON true
            WHERE tc.task_id = ANY(\(sql.bind(.array(tasks)))::int8[]) ORDER BY tc.task_id, tc.camera_id
            """
        var out: [Int: [ProcessingTask.CameraWork]] = [:]
        for values in try await database.query(text, binding: sql.binds, doing: "reading the tasks' cameras") {
            let r = Row(Array(values.dropFirst()))  // the columns after the task id
            let progress = r.optionalText(9).flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            let state = try r.text(3)
            out[try Row(values).int(0), default: []].append(ProcessingTask.CameraWork(
                cameraId: try r.int(0), name: try r.text(1), jobId: r.optionalInt(2), state: state, attempt: try r.int(4),
                framesProcessed: try r.int(5), framesPerSecond: r.optionalDouble(8), startedAt: r.optionalTime(6),
                endedAt: r.optionalTime(7), progress: progress, error: state == "completed" ? nil : r.optionalText(10)))
        }
        return out
    }

    /// Asks every job of a visible task to stop (a running pipeline stops cleanly, a waiting job is
    /// cancelled); `false` when the caller cannot see the task.
    func stop(_ id: Int, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = """
            UPDATE processing_tasks t SET stop_requested_at = coalesce(t.stop_requested_at, now())
            WHERE t.id = \(sql.bind(id)) AND \(Self.visible("t", scope, &sql))
            RETURNING ARRAY(SELECT job_id FROM processing_task_cameras WHERE task_id = t.id AND job_id IS NOT NULL)::text
            """
        guard let row = try await database.query(text, binding: sql.binds, doing: "stopping a processing task").first else { return false }
        let ids = (row.first?.text ?? "{}").trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").compactMap { Int($0) }
        let queue = JobQueue(database: database)
        for job in ids {
            // A job that already ended stays as it ended.
            _ = try? await queue.cancel(id: job)
        }
        return true
    }
}
