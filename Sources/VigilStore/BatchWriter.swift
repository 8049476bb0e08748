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
        try await database.withTransaction(doing: "committing batch \(batch.seq) of run \(runID)") { connection in
            let claimed = try await connection.query("""
                UPDATE runs SET last_batch = \(batch.seq), frames = frames + \(payload.frames),
                    rows_written = rows_written + \(batch.rows)
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
            for (key, position) in batch.positions {
                try await connection.query("""
                    INSERT INTO checkpoints (run_id, source, stream, last_time, at_last_time, messages)
                    VALUES (\(runID), \(key.source), \(key.stream), \(position.lastTime), \(position.atLastTime), \(position.messages))
                    ON CONFLICT (run_id, source, stream) DO UPDATE SET last_time = EXCLUDED.last_time,
                        at_last_time = EXCLUDED.at_last_time, messages = EXCLUDED.messages, updated_at = now()
                    """, logger: logger)
            }
            if payload.minTime <= payload.maxTime {
                let low = Self.date(payload.minTime), high = Self.date(payload.maxTime)
                try await connection.query("""
                    UPDATE runs SET data_from = least(coalesce(data_from, \(low)), \(low)),
                        data_until = greatest(coalesce(data_until, \(high)), \(high)) WHERE id = \(runID)
                    """, logger: logger)
                if !payload.trackPoints.isEmpty {
                    try await connection.query("INSERT INTO rollup_invalidations (low, high) VALUES (\(low), \(high))", logger: logger)
                }
            }
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

    static func upsertTracks(_ tracks: [SinkBatch.TrackKey: SinkBatch.TrackSummary], runID: Int,
                             _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            CREATE TEMP TABLE IF NOT EXISTS vigil_tracks_batch (
                camera_id integer, track_id integer, global_id integer, class_id smallint, label text,
                first_seen timestamptz, last_seen timestamptz, points bigint, path_length double precision,
                last_x double precision, last_y double precision) ON COMMIT DELETE ROWS
            """, logger: logger)
        var e = CopyTextEncoder(capacity: tracks.count * 96)
        for (key, s) in tracks {
            e.int(key.camera); e.int(key.track); e.int(s.globalID); e.int(s.classID); e.text(s.label)
            e.timestamp(microseconds: s.first); e.timestamp(microseconds: s.last); e.int(s.points)
            e.double(s.pathLength); e.double(s.lastX); e.double(s.lastY)
            e.endRow()
        }
        try await copy(e, table: "vigil_tracks_batch", columns: [], connection, logger)
        try await connection.query("""
            INSERT INTO tracks AS t (run_id, camera_id, track_id, global_id, class_id, label, first_seen, last_seen,
                                     points, path_length, last_x, last_y)
            SELECT \(runID), camera_id, track_id, global_id, class_id, label, first_seen, last_seen, points,
                   path_length, last_x, last_y FROM vigil_tracks_batch
            ON CONFLICT (run_id, camera_id, track_id) DO UPDATE SET
                global_id = coalesce(EXCLUDED.global_id, t.global_id),
                first_seen = least(t.first_seen, EXCLUDED.first_seen),
                last_seen = greatest(t.last_seen, EXCLUDED.last_seen),
                points = t.points + EXCLUDED.points,
                path_length = t.path_length + EXCLUDED.path_length,
                last_x = EXCLUDED.last_x, last_y = EXCLUDED.last_y
            """, logger: logger)
        try await connection.query("""
            INSERT INTO identities AS i (run_id, global_id, first_seen, last_seen, cameras)
            SELECT \(runID), global_id, min(first_seen), max(last_seen), array_agg(DISTINCT camera_id ORDER BY camera_id)
            FROM vigil_tracks_batch WHERE global_id IS NOT NULL GROUP BY global_id
            ON CONFLICT (run_id, global_id) DO UPDATE SET
                first_seen = least(i.first_seen, EXCLUDED.first_seen),
                last_seen = greatest(i.last_seen, EXCLUDED.last_seen),
                cameras = ARRAY(SELECT DISTINCT c FROM unnest(i.cameras || EXCLUDED.cameras) AS c ORDER BY c)
            """, logger: logger)
    }
}
