public import Foundation
public import VigilStore
public import VigilCore

/// What a worker does with the jobs it holds. Every change after the claim names the lease's epoch, so a
/// worker that lost a job (rescued while it was paused or cut off) changes nothing.
extension JobQueue {
    /// Claims up to `limit` jobs of `kinds` from `queues` that are due, highest priority first, under a
    /// lease of `lease` seconds. `FOR UPDATE SKIP LOCKED`: concurrent workers never wait for or take the
    /// same row.
    public func claim(worker: String, queues: [String], kinds: [JobKind], limit: Int, lease: Double) async throws -> [ClaimedJob] {
        guard limit > 0, !queues.isEmpty, !kinds.isEmpty else { return [] }
        let rows = try await database.query("""
            WITH next AS (
                SELECT id FROM jobs
                WHERE state IN ('available', 'retryable') AND scheduled_at <= now()
                  AND queue = ANY($1::text[]) AND kind = ANY($2::text[])
                ORDER BY priority, scheduled_at, id
                LIMIT $3::int8
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET state = 'running', attempt = attempt + 1, attempted_at = now(), leased_by = $4,
                lease_until = now() + $5::float8 * interval '1 second', lease_epoch = lease_epoch + 1,
                previous_renewed_at = renewed_at, renewed_at = now()
            FROM next WHERE jobs.id = next.id
            RETURNING \(Self.columns.replacingOccurrences(of: "id, tenant_id", with: "jobs.id, tenant_id"))
            """, binding: [.array(queues), .array(kinds.map(\.rawValue)), .int(limit),
                           .text(worker), .double(lease)],
            doing: "claiming jobs")
        return rows.map { ClaimedJob(job: Self.job($0)) }
    }

    /// Extends the leases of `held` (job id -> epoch) by `lease` seconds. Returns the jobs whose lease
    /// is still this worker's, with whether a cancel was requested; a job missing from the answer is lost.
    public func renew(worker: String, held: [Int: Int], lease: Double) async throws -> [Int: Bool] {
        guard !held.isEmpty else { return [:] }
        let ids = held.keys.sorted()
        let rows = try await database.query("""
            UPDATE jobs SET lease_until = now() + $1::float8 * interval '1 second', renewed_at = now()
            FROM unnest($2::int8[], $3::int8[]) AS mine (id, epoch)
            WHERE jobs.id = mine.id AND jobs.lease_epoch = mine.epoch AND jobs.leased_by = $4 AND jobs.state = 'running'
            RETURNING jobs.id, jobs.cancel_requested
            """, binding: [.double(lease), .array(ids), .array(ids.map { held[$0]! }), .text(worker)],
            doing: "renewing job leases")
        var out: [Int: Bool] = [:]
        for row in rows { if let id = row[0].int { out[id] = row[1].bool ?? false } }
        return out
    }

    /// Records that the held job finished; `false` when the lease was lost (nothing changed).
    @discardableResult
    public func complete(_ claimed: ClaimedJob, result: String? = nil) async throws -> Bool {
        try await finish(claimed, doing: "completing", set: """
            state = 'completed', finished_at = now(), result = $3::jsonb
            """, [result.map { .text($0) } ?? .null])
    }

    /// Records that several held jobs finished, in one statement (a worker's completions are batched:
    /// one commit for many short jobs). Returns the ids recorded; a job whose lease was lost is left alone.
    public func complete(_ finished: [(job: ClaimedJob, result: String?)]) async throws -> Set<Int> {
        guard !finished.isEmpty else { return [] }
        let rows = try await database.query("""
            UPDATE jobs SET state = 'completed', finished_at = now(), result = done.result::jsonb, leased_by = NULL,
                lease_until = NULL
            FROM unnest($1::int8[], $2::int8[], $3::text[]) AS done (id, epoch, result)
            WHERE jobs.id = done.id AND jobs.lease_epoch = done.epoch AND jobs.state = 'running'
            RETURNING jobs.id
            """, binding: [.array(finished.map(\.job.job.id)), .array(finished.map(\.job.epoch)),
                           .array(finished.map(\.result))],
            doing: "completing \(finished.count) jobs")
        return Set(rows.compactMap { $0.first?.int })
    }

    /// Records that the held job stopped because its cancel was requested.
    @discardableResult
    public func cancelled(_ claimed: ClaimedJob, result: String? = nil) async throws -> Bool {
        try await finish(claimed, doing: "cancelling", set: """
            state = 'cancelled', finished_at = now(), result = $3::jsonb
            """, [result.map { .text($0) } ?? .null])
    }

    /// Records a failed attempt: `retryable` after the backoff while attempts remain, else `failed`.
    @discardableResult
    public func fail(_ claimed: ClaimedJob, worker: String, error: String, backoff: Backoff = Backoff(),
                     jitter: Double = Double.random(in: 0...1)) async throws -> Bool {
        let delay = backoff.delay(afterAttempt: claimed.job.attempt, unit: jitter)
        return try await finish(claimed, doing: "recording the failure of", set: """
            state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'retryable' END,
            finished_at = CASE WHEN attempt >= max_attempts THEN now() END,
            scheduled_at = CASE WHEN attempt >= max_attempts THEN scheduled_at
                                ELSE now() + $3::float8 * interval '1 second' END,
            errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempt, 'at', now(), 'worker', $4::text,
                                                                    'error', $5::text))
            """, [.double(delay), .text(worker), .text(error)])
    }

    /// Gives the held job back without using up an attempt (the worker is stopping, or holds more than
    /// its share of cameras): another worker takes it, and a run resumes after its last checkpoint.
    @discardableResult
    public func handBack(_ claimed: ClaimedJob) async throws -> Bool {
        try await finish(claimed, doing: "handing back", set: """
            state = 'available', max_attempts = max_attempts + 1, scheduled_at = now(), renewed_at = now()
            """, [])
    }

    /// Stores a progress object (JSON text) for the held job.
    public func recordProgress(_ claimed: ClaimedJob, progress: String) async throws {
        try await database.execute("""
            UPDATE jobs SET progress = $3::jsonb WHERE id = $1::int8 AND lease_epoch = $2::int8 AND state = 'running'
            """, binding: [.int(claimed.job.id), .int(claimed.epoch), .text(progress)], doing: "recording job progress")
    }

    /// When the earlier holder of a live camera's job was last seen (its last renewal or hand-back, or the
    /// end of the newest data its runs committed, whichever is later) and who it was.
    public func handover(of job: Job) async throws -> Handover? {
        let rows = try await database.query("""
            SELECT greatest((SELECT max(data_until) FROM runs WHERE job_id = $1::int8), j.previous_renewed_at),
                   j.errors -> -1 ->> 'worker', j.errors -> -1 ->> 'attempt'
            FROM jobs j WHERE j.id = $1::int8
            """, binding: [.int(job.id)], doing: "reading the handover of job \(job.id)")
        guard let row = rows.first, let since = row[0].time else { return nil }
        // The last recorded failure names the holder only if it was the attempt just before this one.
        let previous = row[2].text.flatMap(Int.init) == job.attempt - 1 ? row[1].text : nil
        return Handover(since: since, from: previous)
    }

    private func finish(_ claimed: ClaimedJob, doing: String, set assignments: String, _ extra: [SQLValue]) async throws -> Bool {
        let rows = try await database.query("""
            UPDATE jobs SET \(assignments), leased_by = NULL, lease_until = NULL
            WHERE id = $1::int8 AND lease_epoch = $2::int8 AND state = 'running'
            RETURNING id
            """, binding: [.int(claimed.job.id), .int(claimed.epoch)] + extra, doing: "\(doing) job \(claimed.job.id)")
        return rows.count == 1
    }
}
