import Foundation
import VigilCore
import VigilStore

/// A user's facial-analysis session (`face_sessions`): its camera and task, and once ended its summary.
struct FaceSession: Codable, Sendable {
    var id: Int
    var tenantId: Int
    var userId: UUID
    var user: String
    var cameraId: Int
    var taskId: Int?
    var name: String
    var startedAt: Date
    var endedAt: Date?
    var duration: Double?
    var state: String
    var summary: FaceSummary?
}

/// One second of a session's facial data: the means of the face measurements over its frames (face_present:
/// the share of frames with a face), the blink count so far, the mean emotion probabilities.
struct FaceSecond: Codable, Sendable {
    var time: Date
    var frames: Int
    var facePresent: Double?
    var ear: Double?
    var mar: Double?
    var yaw: Double?
    var pitch: Double?
    var roll: Double?
    var blinks: Int?
    /// By class (angry, disgust, fear, happy, sad, surprise, neutral), over the second's frames with a face.
    var emotions: [String: Double]?

    /// Frames of the second with a face (face_present is 1 or 0 on every frame).
    var faceFrames: Double { Double(frames) * (facePresent ?? 0) }
}

/// A stretch of facial data summed up: means weighted by frames with a face, blinks, the emotion mix.
struct FaceSummary: Codable, Sendable {
    var from: Date
    var seconds: Int
    var frames: Int
    var faceFrames: Int
    var facePresentRatio: Double
    var ear: Double?
    var mar: Double?
    var yaw: Double?
    var pitch: Double?
    var roll: Double?
    var blinks: Int
    var blinksPerMinute: Double?
    var emotions: [String: Double]?
    var dominantEmotion: String?
    /// The same per minute, oldest first (in a session's summary only).
    var minutes: [FaceSummary]?

    static let emotionClasses = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]

    /// Over `seconds` (oldest first); `perMinute` adds the minutes. `blinksBefore`: the count at the start.
    init(_ seconds: [FaceSecond], perMinute: Bool, blinksBefore: Int = 0) {
        from = seconds.first?.time ?? Date(timeIntervalSince1970: 0)
        self.seconds = seconds.count
        frames = seconds.reduce(0) { $0 + $1.frames }
        let weight = seconds.reduce(0) { $0 + $1.faceFrames }
        faceFrames = Int(weight.rounded())
        facePresentRatio = frames > 0 ? weight / Double(frames) : 0
        func mean(_ value: (FaceSecond) -> Double?) -> Double? {
            let pairs = seconds.compactMap { s in value(s).map { ($0, s.faceFrames) } }.filter { $0.1 > 0 }
            let w = pairs.reduce(0) { $0 + $1.1 }
            return w > 0 ? pairs.reduce(0) { $0 + $1.0 * $1.1 } / w : nil
        }
        ear = mean(\.ear); mar = mean(\.mar); yaw = mean(\.yaw); pitch = mean(\.pitch); roll = mean(\.roll)
        blinks = max(0, (seconds.compactMap(\.blinks).max() ?? blinksBefore) - blinksBefore)
        let span = Double(seconds.count) / 60
        blinksPerMinute = span > 0 ? Double(blinks) / span : nil
        var mix: [String: Double] = [:]
        for name in Self.emotionClasses { if let m = mean({ $0.emotions?[name] }) { mix[name] = m } }
        emotions = mix.isEmpty ? nil : mix
        dominantEmotion = mix.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        guard perMinute else { return }
        var minutes: [FaceSummary] = []
        var start = 0, before = blinksBefore
        while start < seconds.count {
            let minute = floor(seconds[start].time.timeIntervalSince1970 / 60)
            var end = start
            while end < seconds.count, floor(seconds[end].time.timeIntervalSince1970 / 60) == minute { end += 1 }
            let part = FaceSummary(Array(seconds[start..<end]), perMinute: false, blinksBefore: before)
            before = seconds[start..<end].compactMap(\.blinks).max() ?? before
            minutes.append(part)
            start = end
        }
        self.minutes = minutes
    }
}

/// Facial-analysis sessions, read with the caller's row scope (admins all, supervisors their tenant's,
/// everyone else their own: ``Scope/tenantRows(_:userColumn:_:)``) in every statement.
struct FaceSessionRepository: Sendable {
    let database: Database

    static let columns = """
        s.id, s.tenant_id, s.user_id::text, u.username, s.camera_id, s.task_id, s.name, s.started_at, s.ended_at,
        extract(epoch FROM s.ended_at - s.started_at)::float8, s.summary::text
        """

    static func session(_ r: Row) throws -> FaceSession {
        let summary = r.optionalText(10).flatMap { try? APIJSON.decoder.decode(FaceSummary.self, from: Data($0.utf8)) }
        return FaceSession(id: try r.int(0), tenantId: try r.int(1), userId: try r.uuid(2), user: try r.text(3), cameraId: try r.int(4),
                           taskId: r.optionalInt(5), name: try r.text(6), startedAt: try r.time(7), endedAt: r.optionalTime(8),
                           duration: r.optionalDouble(9), state: r.optionalTime(8) == nil ? "running" : "ended", summary: summary)
    }

    /// A new running session; nil when the user already has one running.
    func start(tenant: Int, user: UUID, camera: Int, name: String) async throws -> Int? {
        try await database.query("""
            INSERT INTO face_sessions (tenant_id, user_id, camera_id, name) VALUES ($1::int4, $2::uuid, $3::int4, $4)
            ON CONFLICT (user_id) WHERE ended_at IS NULL DO NOTHING RETURNING id
            """, binding: [.int(tenant), .text(user.uuidString), .int(camera), .text(name)], doing: "starting a facial-analysis session")
            .first?.first?.int
    }

    func attach(task: Int, to session: Int) async throws {
        try await database.execute("UPDATE face_sessions SET task_id = $1::int8 WHERE id = $2::int8", binding: [.int(task), .int(session)],
                                   doing: "recording the session's task")
    }

    func discard(_ id: Int) async throws {
        try await database.execute("DELETE FROM face_sessions WHERE id = $1::int8 AND task_id IS NULL", binding: [.int(id)],
                                   doing: "discarding a session that did not start")
    }

    func running(user: UUID) async throws -> Int? {
        try await database.query("SELECT id FROM face_sessions WHERE user_id = $1::uuid AND ended_at IS NULL", binding: [.text(user.uuidString)],
                                 doing: "reading a running session").first?.first?.int
    }

    func get(_ id: Int, scope: Scope) async throws -> FaceSession? {
        try await list(scope: scope, id: id, user: nil, limit: 1, offset: 0).first
    }

    /// Newest first.
    func list(scope: Scope, id: Int? = nil, user: UUID?, limit: Int, offset: Int) async throws -> [FaceSession] {
        var sql = SQLBuilder()
        var conditions = [scope.tenantRows("s", userColumn: "user_id", &sql)]
        if let id { conditions.append("s.id = \(sql.bind(id))") }
        if let user { conditions.append("s.user_id = \(sql.bind(user))") }
        let text = """
            SELECT \(Self.columns) FROM face_sessions s JOIN users u ON u.id = s.user_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY s.started_at DESC, s.id DESC LIMIT \(sql.bind(limit)) OFFSET \(sql.bind(offset))
            """
        return try await database.query(text, binding: sql.binds, doing: "listing facial-analysis sessions").map { try Self.session(Row($0)) }
    }

    /// The session's seconds (the per-second aggregates its task's runs wrote), oldest first; none when the
    /// caller cannot see the session.
    func seconds(of session: FaceSession, scope: Scope, limit: Int = 100_000, offset: Int = 0) async throws -> [FaceSecond] {
        var sql = SQLBuilder()
        let visible = "EXISTS (SELECT 1 FROM face_sessions s WHERE s.id = \(sql.bind(session.id)) AND "
            + "\(scope.tenantRows("s", userColumn: "user_id", &sql)))"
        let text = """
            WITH picked AS (
                SELECT DISTINCT a.time FROM aggregates a
                WHERE a.camera_id = \(sql.bind(session.cameraId)) AND a.window_seconds = 1 AND a.name = 'frames'
                  AND a.run_id IN (SELECT r.id FROM runs r JOIN processing_task_cameras tc ON tc.job_id = r.job_id
                                   WHERE tc.task_id = \(sql.bind(session.taskId ?? 0)))
                  AND \(visible)
                ORDER BY a.time LIMIT \(sql.bind(limit)) OFFSET \(sql.bind(offset))
            )
            SELECT a.time, a.name, coalesce(a.dimensions->>'measurement', ''), a.value FROM aggregates a JOIN picked p ON p.time = a.time
            WHERE a.camera_id = \(sql.bind(session.cameraId)) AND a.window_seconds = 1
              AND a.run_id IN (SELECT r.id FROM runs r JOIN processing_task_cameras tc ON tc.job_id = r.job_id
                               WHERE tc.task_id = \(sql.bind(session.taskId ?? 0)))
              AND (a.name = 'frames' OR (a.name = 'measurement_mean' AND a.dimensions->>'measurement' <> 'blinks')
                   OR (a.name = 'measurement_max' AND a.dimensions->>'measurement' = 'blinks'))
            ORDER BY a.time
            """
        var out: [FaceSecond] = []
        for values in try await database.query(text, binding: sql.binds, doing: "reading a session's facial data") {
            let r = Row(values)
            let time = try r.time(0), name = try r.text(1), measurement = try r.text(2), value = try r.double(3)
            if out.last?.time != time { out.append(FaceSecond(time: time, frames: 0)) }
            var second = out[out.count - 1]
            switch (name, measurement) {
            case ("frames", _): second.frames = Int(value)
            case (_, "face_present"): second.facePresent = value
            case (_, "ear"): second.ear = value
            case (_, "mar"): second.mar = value
            case (_, "yaw"): second.yaw = value
            case (_, "pitch"): second.pitch = value
            case (_, "roll"): second.roll = value
            case (_, "blinks"): second.blinks = Int(value)
            case (_, let m) where m.hasPrefix("emotion_"): second.emotions = (second.emotions ?? [:]).merging([String(m.dropFirst(8)): value]) { $1 }
            default: break
            }
            out[out.count - 1] = second
        }
        return out
    }

    /// Ends a running session the caller sees, keeping `summary`; nil when there is no such running session.
    func end(_ id: Int, summary: FaceSummary, scope: Scope) async throws -> FaceSession? {
        var sql = SQLBuilder()
        let json = String(decoding: try APIJSON.encoder.encode(summary), as: UTF8.self)
        let text = """
            UPDATE face_sessions s SET ended_at = now(), summary = \(sql.bind(json))::jsonb
            WHERE s.id = \(sql.bind(id)) AND s.ended_at IS NULL AND \(scope.tenantRows("s", userColumn: "user_id", &sql)) RETURNING s.id
            """
        guard try await !database.query(text, binding: sql.binds, doing: "ending a facial-analysis session").isEmpty else { return nil }
        return try await get(id, scope: scope)
    }

    /// Deletes a session the caller sees with all its data: the rows its task's runs wrote, the runs, jobs and
    /// task, the frames its camera took in it, its feedback. false when there is no such session.
    func delete(_ id: Int, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let pick = "SELECT s.id, s.task_id, s.camera_id, s.started_at, coalesce(s.ended_at, now()) AS ended FROM face_sessions s "
            + "WHERE s.id = \(sql.bind(id)) AND \(scope.tenantRows("s", userColumn: "user_id", &sql)) FOR UPDATE"
        let binds = sql.binds
        return try await database.transaction(doing: "deleting a facial-analysis session") { tx in
            guard let row = try await tx.query(pick, binds).first.map(Row.init) else { return false }
            let task = SQLValue.int(row.optionalInt(1) ?? 0)
            let runs = "SELECT r.id FROM runs r JOIN processing_task_cameras tc ON tc.job_id = r.job_id WHERE tc.task_id = $1::int8"
            for table in PartitionManager.timeTables {
                try await tx.execute("DELETE FROM \(table) WHERE run_id IN (\(runs))", [task])
            }
            let jobs = try await tx.query("SELECT job_id FROM processing_task_cameras WHERE task_id = $1::int8 AND job_id IS NOT NULL", [task])
                .compactMap { $0.first?.int }
            try await tx.execute("DELETE FROM runs WHERE id IN (\(runs))", [task])
            try await tx.execute("DELETE FROM processing_tasks WHERE id = $1::int8", [task])
            try await tx.execute("DELETE FROM jobs WHERE id = ANY($1::int8[])", [.array(jobs)])
            try await tx.execute("DELETE FROM pushed_frames WHERE camera_id = $1::int4 AND received_at >= $2 AND received_at <= $3",
                                 [.int(try row.int(2)), .time(try row.time(3)), .time(try row.time(4))])
            try await tx.execute("DELETE FROM face_sessions WHERE id = $1::int8", [.int(id)])
            return true
        }
    }

    /// For the audit log only: the tenant of a session the caller could not see.
    func unscopedTenant(_ id: Int) async throws -> Int? {
        try await database.query("SELECT tenant_id FROM face_sessions WHERE id = $1::int8", binding: [.int(id)],
                                 doing: "auditing a session lookup").first?.first?.int
    }

    // MARK: Feedback

    struct Feedback: Codable, Sendable {
        var id: Int
        var sessionId: Int
        var userId: UUID?
        var rating: Int?
        var comment: String
        var createdAt: Date
    }

    func addFeedback(session: Int, user: UUID, rating: Int?, comment: String) async throws -> Feedback {
        let rows = try await database.query("""
            INSERT INTO face_session_feedback (session_id, user_id, rating, comment) VALUES ($1::int8, $2::uuid, $3::int2, $4)
            RETURNING id, session_id, user_id::text, rating, comment, created_at
            """, binding: [.int(session), .text(user.uuidString), rating.map(SQLValue.int) ?? .null, .text(comment)], doing: "storing feedback")
        return try Self.feedback(Row(rows[0]))
    }

    /// The feedback of a session the caller sees, oldest first.
    func feedback(session: Int, scope: Scope) async throws -> [Feedback] {
        var sql = SQLBuilder()
        let text = """
            SELECT f.id, f.session_id, f.user_id::text, f.rating, f.comment, f.created_at
            FROM face_session_feedback f JOIN face_sessions s ON s.id = f.session_id
            WHERE f.session_id = \(sql.bind(session)) AND \(scope.tenantRows("s", userColumn: "user_id", &sql))
            ORDER BY f.created_at, f.id
            """
        return try await database.query(text, binding: sql.binds, doing: "reading feedback").map { try Self.feedback(Row($0)) }
    }

    static func feedback(_ r: Row) throws -> Feedback {
        Feedback(id: try r.int(0), sessionId: try r.int(1), userId: r.optionalUUID(2), rating: r.optionalInt(3), comment: try r.text(4),
                 createdAt: try r.time(5))
    }
}
