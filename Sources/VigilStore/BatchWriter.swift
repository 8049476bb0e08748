import VigilCore
import Synchronization

/// Commits one batch over the sink's own libpq connection (binary COPY; every wait has a deadline):
/// the partitions for the batch's days, then one transaction with the binary COPY of each table's rows,
/// the track and identity summaries, the stream checkpoints and the run's `last_batch`. The
/// `last_batch = seq - 1` guard makes a second commit of the same batch impossible even if the caller's
/// bookkeeping were wrong. A run written under a job lease also presents the lease's epoch (a fencing
/// token): a worker that lost the job cannot commit, however late it wakes up.
struct BatchWriter: Sendable {
    let connection: LibPQConnection
    let runID: Int
    let lease: LeaseFence?
    private let partitionDays = PartitionDays()

    /// What the writer knows about partitions: whether the tables are hypertables (`nil` until asked) and
    /// the days whose partitions it made sure of.
    private final class PartitionDays: Sendable {
        struct State {
            var hypertables: Bool?
            var days: Set<UTCDay> = []
        }
        let state = Mutex(State())
    }

    init(connection: LibPQConnection, runID: Int, lease: LeaseFence? = nil) {
        self.connection = connection; self.runID = runID; self.lease = lease
    }

    var url: DatabaseURL { connection.url }

    func commit(_ batch: CommitStateMachine<SinkBatch>.Batch) async throws {
        let payload = batch.payload
        for (table, encoder) in [("track_points", payload.trackPoints), ("detections", payload.detections),
                                 ("events", payload.events), ("aggregates", payload.aggregates)] {
            if let (value, bits) = encoder.outOfRange {
                throw VigilError(.invalidArgument, "a value of \(table) (\(value)) does not fit its \(bits)-bit integer "
                    + "column; batch \(batch.seq) was not written", subject: url.description)
            }
        }
        let runID = self.runID
        let url = self.url
        let days = payload.days
        let lease = self.lease
        try await connection.withSession(doing: "committing batch \(batch.seq) of run \(runID)") { session in
            try ensurePartitions(days, session)
            let hasRange = payload.minTime <= payload.maxTime
            let low = hasRange ? SQLText.timestamp(payload.minTime) : nil
            let high = hasRange ? SQLText.timestamp(payload.maxTime) : nil
            try session.transaction {
                if let lease {
                    // FOR SHARE: a rescue (which raises the epoch) waits for this commit, or this commit sees its epoch.
                    let held = try session.query("""
                        SELECT 1 FROM jobs WHERE id = $1::int8 AND lease_epoch = $2::int8 AND state = 'running' FOR SHARE
                        """, ["\(lease.jobID)", "\(lease.epoch)"])
                    guard held.count == 1 else { throw RunStore.leaseLost(lease, batch: batch.seq, url: url) }
                }
                // least/greatest ignore NULL: without rows with a time, the range stays as it was.
                let claimed = try session.query("""
                    UPDATE runs SET last_batch = $1::int8, frames = frames + $2::int8, rows_written = rows_written + $3::int8,
                        data_from = least(data_from, $4::timestamptz), data_until = greatest(data_until, $5::timestamptz)
                    WHERE id = $6::int8 AND last_batch = $7::int8 RETURNING id
                    """, ["\(batch.seq)", "\(payload.frames)", "\(batch.rows)", low, high, "\(runID)", "\(batch.seq - 1)"])
                guard claimed.count == 1 else {
                    throw VigilError(.database, "batch \(batch.seq) of run \(runID) cannot be committed: the run is gone or "
                        + "another writer advanced it; is another `vigil run` writing the same pipeline and inputs?",
                        subject: url.description)
                }
                try Self.copy(payload.trackPoints, into: "track_points", SinkBatch.trackPointColumns, session)
                try Self.copy(payload.detections, into: "detections", SinkBatch.detectionColumns, session)
                try Self.copy(payload.events, into: "events", SinkBatch.eventColumns, session)
                if !payload.alertChanges.isEmpty { try Self.applyAlertChanges(payload.alertChanges, runID: runID, session) }
                try Self.copy(payload.aggregates, into: "aggregates", SinkBatch.aggregateColumns, session)
                if !payload.tracks.isEmpty { try Self.upsertTracks(payload.tracks, runID: runID, session) }
                if !payload.snapshots.isEmpty { try Self.saveSnapshots(payload.snapshots, runID: runID, session) }
                if hasRange && !payload.trackPoints.isEmpty {
                    // Live feeds (`/ws/tracking/{task}` on any server) read what this batch committed: one small
                    // notification per batch, delivered at commit, never for rows that were rolled back.
                    try session.query("""
                        SELECT pg_notify('\(LiveChannels.trackPoints)', json_build_object('run', $1::int8, 'low', $2::timestamptz,
                                                                                         'high', $3::timestamptz)::text)
                        """, ["\(runID)", low, high])
                }
                if let note = Self.eventsNotification(payload) {
                    // Alerts on the WebSocket (any server): what this batch added or changed, delivered at commit.
                    try session.query("""
                        SELECT pg_notify('\(LiveChannels.events)', json_build_object('run', $1::int8, 'low', $2::timestamptz,
                                                                                     'high', $3::timestamptz, 'changes', $4::json)::text)
                        """, ["\(runID)", note.low, note.high, note.changes])
                }
                let keys = Array(batch.positions.keys)
                let positions = keys.map { batch.positions[$0]! }
                try session.query("""
                    WITH checkpoint AS (
                        INSERT INTO checkpoints (run_id, source, stream, last_time, at_last_time, messages)
                        SELECT $1::int8, * FROM unnest($2::text[], $3::text[], $4::float8[], $5::int8[], $6::int8[])
                        ON CONFLICT (run_id, source, stream) DO UPDATE SET last_time = EXCLUDED.last_time,
                            at_last_time = EXCLUDED.at_last_time, messages = EXCLUDED.messages, updated_at = now()
                    )
                    INSERT INTO rollup_invalidations (low, high) SELECT $7::timestamptz, $8::timestamptz WHERE $9::bool
                    """, ["\(runID)", SQLText.array(keys.map(\.source)), SQLText.array(keys.map(\.stream)),
                          SQLText.array(positions.map(\.lastTime)), SQLText.array(positions.map(\.atLastTime)),
                          SQLText.array(positions.map(\.messages)), low, high,
                          hasRange && !payload.trackPoints.isEmpty ? "true" : "false"])
            }
        }
    }

    /// The run's `last_batch`: the sequence number of its last committed batch.
    func lastBatch() async throws -> Int {
        let runID = self.runID, url = self.url
        return try await connection.withSession(doing: "reading the run's last committed batch") { session in
            let rows = try session.query("SELECT last_batch FROM runs WHERE id = $1::int8", ["\(runID)"])
            guard let text = rows.first?.first ?? nil, let value = Int(text) else {
                throw VigilError(.database, "run \(runID) disappeared from the runs table (replaced by another process?)",
                                 subject: url.description)
            }
            return value
        }
    }

    /// Creates the partitions of `days` this writer has not seen yet, in a transaction of its own before
    /// the batch's (partition DDL locks the parent table until commit).
    private func ensurePartitions(_ days: Set<UTCDay>, _ session: LibPQSession) throws {
        var state = partitionDays.state.withLock { $0 }
        if state.hypertables == nil {
            let kind = try session.query("SELECT relkind::text FROM pg_class WHERE oid = to_regclass('track_points')")
            guard let value = kind.first?.first ?? nil else {
                throw VigilError(.database, "table track_points does not exist; run `vigil db migrate`", subject: url.description)
            }
            state.hypertables = value != "p"
        }
        let missing = state.hypertables == true ? [] : days.subtracting(state.days).sorted()
        if !missing.isEmpty {
            try session.transaction {
                try session.execute(PartitionManager.lockStatement)
                try session.execute(PartitionManager.timeTables.flatMap { table in
                    missing.map { PartitionManager.createStatement(table, $0) }
                }.joined(separator: ";\n"))
            }
            state.days.formUnion(missing)
        }
        partitionDays.state.withLock { $0 = state }
    }

    /// `COPY table (columns) FROM STDIN (FORMAT binary)` of the encoder's rows.
    static func copy(_ encoder: CopyBinaryEncoder, into table: String, _ columns: [String], _ session: LibPQSession) throws {
        guard !encoder.isEmpty else { return }
        let sql = "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"
        try encoder.withUnsafeBytes { rows in
            try CopyBinaryEncoder.trailer.withUnsafeBytes { trailer in
                try session.copy(sql, [rows, trailer])
            }
        }
    }

    /// The live events notification of a batch, nil when it has no new event and no alert change. At
    /// most 40 changes are named (the newest of each alert; a notification holds 8,000 bytes): live
    /// feeds are a view, the table is the record.
    static func eventsNotification(_ payload: SinkBatch) -> (low: String?, high: String?, changes: String)? {
        let hasEvents = payload.eventMinTime <= payload.eventMaxTime
        guard hasEvents || !payload.alertChanges.isEmpty else { return nil }
        var latest: [String: SinkBatch.AlertChange] = [:]
        for change in payload.alertChanges { latest["\(change.camera)/\(change.alertID)"] = change }
        let changes = latest.values.sorted { $0.atMicros < $1.atMicros }.suffix(40).map { c in
            "{\"camera\":\(c.camera),\"alert\":\(JSONText.string(c.alertID)),\"phase\":\(JSONText.string(c.phase))}"
        }
        return (hasEvents ? SQLText.timestamp(payload.eventMinTime) : nil, hasEvents ? SQLText.timestamp(payload.eventMaxTime) : nil,
                "[" + changes.joined(separator: ",") + "]")
    }

    /// Brings the row of each alert's start up to its latest `update` or `end` (the last one of the batch
    /// per alert: it carries the peak so far), so an alert is always one row.
    static func applyAlertChanges(_ changes: [SinkBatch.AlertChange], runID: Int, _ session: LibPQSession) throws {
        var latest: [String: SinkBatch.AlertChange] = [:]
        var order: [String] = []
        for change in changes {
            if latest[change.alertID] == nil { order.append(change.alertID) }
            latest[change.alertID] = change
        }
        let c = order.map { latest[$0]! }
        try session.query("""
            UPDATE events e SET phase = u.phase,
                ended_at = CASE WHEN u.phase = 'end' THEN u.at ELSE e.ended_at END,
                end_media_time = CASE WHEN u.phase = 'end' THEN u.media ELSE e.end_media_time END,
                duration = coalesce(u.duration, e.duration), value = coalesce(u.value, e.value),
                peak_value = greatest(e.peak_value, u.peak), message = u.message,
                attributes = e.attributes || u.attributes::jsonb
            FROM unnest($2::int4[], $3::text[], $4::timestamptz[], $5::text[], $6::timestamptz[], $7::float8[], $8::float8[],
                        $9::float8[], $10::float8[], $11::text[], $12::text[])
                 AS u(camera_id, alert_id, start_time, phase, at, media, duration, value, peak, message, attributes)
            WHERE e.run_id = $1::int8 AND e.camera_id = u.camera_id AND e.alert_id = u.alert_id AND e.time = u.start_time
            """, ["\(runID)", SQLText.array(c.map(\.camera)), SQLText.array(c.map(\.alertID)),
                  SQLText.array(c.map { SQLText.timestamp($0.startMicros) }), SQLText.array(c.map(\.phase)),
                  SQLText.array(c.map { SQLText.timestamp($0.atMicros) }), SQLText.array(c.map(\.mediaTime)),
                  SQLText.array(c.map(\.duration)), SQLText.array(c.map(\.value)), SQLText.array(c.map(\.peak)),
                  SQLText.array(c.map(\.message)), SQLText.array(c.map(\.attributes))])
    }

    /// Track summaries and identities of the batch, in one statement.
    static func upsertTracks(_ tracks: [SinkBatch.TrackKey: SinkBatch.TrackSummary], runID: Int, _ session: LibPQSession) throws {
        let keys = Array(tracks.keys)
        let s = keys.map { tracks[$0]! }
        try session.query("""
            WITH b AS (
                SELECT * FROM unnest($2::int4[], $3::int4[], $4::int4[], $5::int2[], $6::text[], $7::timestamptz[],
                                     $8::timestamptz[], $9::int8[], $10::float8[], $11::float8[], $12::float8[])
                     AS u(camera_id, track_id, global_id, class_id, label, first_seen, last_seen, points, path_length, last_x, last_y)
            ), t AS (
                INSERT INTO tracks AS t (run_id, camera_id, track_id, global_id, class_id, label, first_seen, last_seen,
                                         points, path_length, last_x, last_y)
                SELECT $1::int8, camera_id, track_id, global_id, class_id, label, first_seen, last_seen, points,
                       path_length, last_x, last_y FROM b
                ON CONFLICT (run_id, camera_id, track_id) DO UPDATE SET
                    global_id = coalesce(EXCLUDED.global_id, t.global_id),
                    first_seen = least(t.first_seen, EXCLUDED.first_seen),
                    last_seen = greatest(t.last_seen, EXCLUDED.last_seen),
                    points = t.points + EXCLUDED.points,
                    path_length = t.path_length + EXCLUDED.path_length,
                    last_x = EXCLUDED.last_x, last_y = EXCLUDED.last_y
                RETURNING global_id, camera_id, first_seen, last_seen
            )
            -- From the tracks as merged (not this batch's part of them): a track's identity is decided a few
            -- points after its start, maybe in a later batch, and the person was seen since the track began.
            INSERT INTO identities AS i (run_id, global_id, first_seen, last_seen, cameras)
            SELECT $1::int8, global_id, min(first_seen), max(last_seen), array_agg(DISTINCT camera_id ORDER BY camera_id)
            FROM t WHERE global_id IS NOT NULL GROUP BY global_id
            ON CONFLICT (run_id, global_id) DO UPDATE SET
                first_seen = least(i.first_seen, EXCLUDED.first_seen),
                last_seen = greatest(i.last_seen, EXCLUDED.last_seen),
                cameras = ARRAY(SELECT DISTINCT c FROM unnest(i.cameras || EXCLUDED.cameras) AS c ORDER BY c)
            """, ["\(runID)", SQLText.array(keys.map(\.camera)), SQLText.array(keys.map(\.track)), SQLText.array(s.map(\.globalID)),
                  SQLText.array(s.map(\.classID)), SQLText.array(s.map(\.label)),
                  SQLText.array(s.map { SQLText.timestamp($0.first) }), SQLText.array(s.map { SQLText.timestamp($0.last) }),
                  SQLText.array(s.map(\.points)), SQLText.array(s.map(\.pathLength)), SQLText.array(s.map(\.lastX)),
                  SQLText.array(s.map(\.lastY))])
    }
}
