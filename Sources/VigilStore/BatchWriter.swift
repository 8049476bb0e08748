import VigilCore
import Logging
import NIOCore
import PostgresNIO
import struct Foundation.Date

/// Commits one batch: COPY of each table's rows, the track and identity summaries, the stream
/// checkpoints and the run's `last_batch`, all in one transaction. The `last_batch = seq - 1` guard
/// makes a second commit of the same batch impossible even if the caller's bookkeeping were wrong.
public struct BatchWriter: Sendable {
    public let database: Database
    public let partitions: PartitionManager
    public let runID: Int

    public init(database: Database, partitions: PartitionManager, runID: Int) {
        self.database = database; self.partitions = partitions; self.runID = runID
    }

    public func commit(_ batch: CommitStateMachine<SinkBatch>.Batch) async throws {
        let payload = batch.payload
        try await partitions.ensure(days: payload.days)
        let runID = self.runID
        let logger = database.logger
        let hasRange = payload.minTime <= payload.maxTime
        let low = Self.date(hasRange ? payload.minTime : 0), high = Self.date(hasRange ? payload.maxTime : 0)
        let keys = Array(batch.positions.keys)
        let positions = keys.map { batch.positions[$0]! }
        // Few statements per batch: each is a round trip, and batches are small.
        try await database.withTransaction(doing: "committing batch \(batch.seq) of run \(runID)") { connection in
            let claimed = try await connection.query("""
                UPDATE runs SET last_batch = \(batch.seq), frames = frames + \(payload.frames),
                    rows_written = rows_written + \(batch.rows),
                    data_from = CASE WHEN \(hasRange) THEN least(coalesce(data_from, \(low)), \(low)) ELSE data_from END,
                    data_until = CASE WHEN \(hasRange) THEN greatest(coalesce(data_until, \(high)), \(high)) ELSE data_until END
                WHERE id = \(runID) AND last_batch = \(batch.seq - 1) RETURNING id
                """, logger: logger)
            var count = 0
            for try await _ in claimed.decode(Int.self) { count += 1 }
            guard count == 1 else {
                throw VigilError(.database, "batch \(batch.seq) of run \(runID) cannot be committed: the run is gone or "
                    + "another writer advanced it; is another `vigil run` writing the same pipeline and inputs?",
                    subject: database.url.description)
            }
            try await Self.copy(payload.trackPoints, table: "track_points", columns: SinkBatch.trackPointColumns, connection, logger)
            try await Self.copy(payload.detections, table: "detections", columns: SinkBatch.detectionColumns, connection, logger)
            try await Self.copy(payload.events, table: "events", columns: SinkBatch.eventColumns, connection, logger)
            try await Self.copy(payload.aggregates, table: "aggregates", columns: SinkBatch.aggregateColumns, connection, logger)
            if !payload.tracks.isEmpty { try await Self.upsertTracks(payload.tracks, runID: runID, connection, logger) }
            let invalidate = hasRange && !payload.trackPoints.isEmpty
            try await connection.query("""
                WITH checkpoint AS (
                    INSERT INTO checkpoints (run_id, source, stream, last_time, at_last_time, messages)
                    SELECT \(runID), * FROM unnest(\(keys.map(\.source))::text[], \(keys.map(\.stream))::text[],
                        \(positions.map(\.lastTime))::float8[], \(positions.map(\.atLastTime))::int8[],
                        \(positions.map(\.messages))::int8[])
                    ON CONFLICT (run_id, source, stream) DO UPDATE SET last_time = EXCLUDED.last_time,
                        at_last_time = EXCLUDED.at_last_time, messages = EXCLUDED.messages, updated_at = now()
                )
                INSERT INTO rollup_invalidations (low, high) SELECT \(low), \(high) WHERE \(invalidate)
                """, logger: logger)
        }
    }

    static func date(_ micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

    static func copy(_ encoder: CopyTextEncoder, table: String, columns: [String], _ connection: PostgresConnection,
                     _ logger: Logger) async throws {
        guard !encoder.isEmpty else { return }
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            // Large buffers are sent in slices so the server can start parsing while the rest travels.
            var buffer = encoder.buffer
            let slice = 1 << 20
            while buffer.readableBytes > slice {
                try await writer.write(buffer.readSlice(length: slice)!)
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }

    /// Track summaries and identities of the batch, in one statement.
    static func upsertTracks(_ tracks: [SinkBatch.TrackKey: SinkBatch.TrackSummary], runID: Int,
                             _ connection: PostgresConnection, _ logger: Logger) async throws {
        let keys = Array(tracks.keys)
        let s = keys.map { tracks[$0]! }
        try await connection.query("""
            WITH b AS (
                SELECT camera_id, track_id, nullif(global_id, -1) AS global_id, class_id, label,
                       to_timestamp(first_s) AS first_seen, to_timestamp(last_s) AS last_seen, points, path_length, last_x, last_y
                FROM unnest(\(keys.map(\.camera))::int8[], \(keys.map(\.track))::int8[], \(s.map { $0.globalID ?? -1 })::int8[],
                            \(s.map(\.classID))::int8[], \(s.map(\.label))::text[], \(s.map { Double($0.first) / 1e6 })::float8[],
                            \(s.map { Double($0.last) / 1e6 })::float8[], \(s.map(\.points))::int8[], \(s.map(\.pathLength))::float8[],
                            \(s.map(\.lastX))::float8[], \(s.map(\.lastY))::float8[])
                     AS u(camera_id, track_id, global_id, class_id, label, first_s, last_s, points, path_length, last_x, last_y)
            ), t AS (
                INSERT INTO tracks AS t (run_id, camera_id, track_id, global_id, class_id, label, first_seen, last_seen,
                                         points, path_length, last_x, last_y)
                SELECT \(runID), camera_id, track_id, global_id, class_id, label, first_seen, last_seen, points,
                       path_length, last_x, last_y FROM b
                ON CONFLICT (run_id, camera_id, track_id) DO UPDATE SET
                    global_id = coalesce(EXCLUDED.global_id, t.global_id),
                    first_seen = least(t.first_seen, EXCLUDED.first_seen),
                    last_seen = greatest(t.last_seen, EXCLUDED.last_seen),
                    points = t.points + EXCLUDED.points,
                    path_length = t.path_length + EXCLUDED.path_length,
                    last_x = EXCLUDED.last_x, last_y = EXCLUDED.last_y
            )
            INSERT INTO identities AS i (run_id, global_id, first_seen, last_seen, cameras)
            SELECT \(runID), global_id, min(first_seen), max(last_seen), array_agg(DISTINCT camera_id::int ORDER BY camera_id::int)
            FROM b WHERE global_id IS NOT NULL GROUP BY global_id
            ON CONFLICT (run_id, global_id) DO UPDATE SET
                first_seen = least(i.first_seen, EXCLUDED.first_seen),
                last_seen = greatest(i.last_seen, EXCLUDED.last_seen),
                cameras = ARRAY(SELECT DISTINCT c FROM unnest(i.cameras || EXCLUDED.cameras) AS c ORDER BY c)
            """, logger: logger)
    }
}
