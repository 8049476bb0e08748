import VigilCore

extension BatchWriter {
    /// Marks of stage state a run keeps: a resume needs the latest one every stage reached; older ones only
    /// matter while a newer mark is still incomplete (its frame reached one stage's snapshot but not all).
    static let keptSnapshotMarks = 3

    /// Stores the stage states a batch's frames carried, in the batch's transaction, and drops marks older
    /// than the last ``keptSnapshotMarks``.
    static func saveSnapshots(_ snapshots: [StageSnapshot], runID: Int, _ session: LibPQSession) throws {
        for snapshot in snapshots {
            try session.query("""
                INSERT INTO run_snapshots (run_id, mark, stage, state) VALUES ($1::int8, $2::float8, $3, $4::bytea)
                ON CONFLICT (run_id, mark, stage) DO UPDATE SET state = EXCLUDED.state
                """, ["\(runID)", SQLText.double(snapshot.mark), snapshot.stage, SQLText.byteaHex(snapshot.state)])
        }
        try session.query("""
            DELETE FROM run_snapshots WHERE run_id = $1::int8 AND mark < (
                SELECT min(mark) FROM (SELECT DISTINCT mark FROM run_snapshots WHERE run_id = $1::int8
                                       ORDER BY mark DESC LIMIT $2::int8) AS kept)
            """, ["\(runID)", "\(keptSnapshotMarks)"])
    }
}
