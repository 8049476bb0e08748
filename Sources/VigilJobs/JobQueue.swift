public import Foundation
public import VigilStore
import VigilCore

/// The `jobs` table: enqueue, look up, cancel and retry. Claiming and leases are in
/// `JobQueue+Leases.swift`, what only the leader does in `JobQueue+Leader.swift`.
public struct JobQueue: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    static let columns = """
        id, tenant_id::int8, kind, queue, args::text, priority::int8, state, attempt::int8, max_attempts::int8,
        errors::text, unique_key, leased_by, lease_until, lease_epoch, cancel_requested, progress::text, result::text,
        scheduled_at, created_at, attempted_at, finished_at
        """

    static func job(_ row: [SQLValue]) -> Job {
        Job(id: row[0].int ?? 0, tenantID: row[1].int ?? 1, kind: JobKind(rawValue: row[2].text ?? "") ?? .run,
            queue: row[3].text ?? "", arguments: row[4].text ?? "{}", priority: row[5].int ?? 0,
            state: JobState(rawValue: row[6].text ?? "") ?? .available, attempt: row[7].int ?? 0, maxAttempts: row[8].int ?? 1,
            errors: row[9].text ?? "[]", uniqueKey: row[10].text, leasedBy: row[11].text, leaseUntil: row[12].time,
            leaseEpoch: row[13].int ?? 0, cancelRequested: row[14].bool ?? false, progress: row[15].text, result: row[16].text,
            scheduledAt: row[17].time ?? Date(), createdAt: row[18].time ?? Date(), attemptedAt: row[19].time,
            finishedAt: row[20].time)
    }

    /// Inserts `new`, or returns the job that already holds its unique key (`inserted` false).
    @discardableResult
    public func enqueue(_ new: NewJob) async throws -> (job: Job, inserted: Bool) {
        try Self.validate(new)
        return try await database.transaction(doing: "enqueueing a \(new.kind.rawValue) job") { session in
            try await Self.enqueue(new, in: session)
        }
    }

    /// Enqueues `new` inside the caller's transaction (a processing task and its jobs commit together).
    public static func enqueue(_ new: NewJob, in session: SQLSession) async throws -> (job: Job, inserted: Bool) {
        try validate(new)
        let scheduled: SQLValue = new.scheduledAt.map { .time($0) } ?? .null
        let key: SQLValue = new.uniqueKey.map { .text($0) } ?? .null
        let inserted = try await session.query("""
            INSERT INTO jobs (tenant_id, kind, queue, args, priority, max_attempts, scheduled_at, unique_key)
            VALUES ($1::int8, $2, $3, $4::jsonb, $5::int8, $6::int8, coalesce($7::timestamptz, now()), $8)
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state NOT IN ('failed', 'cancelled') DO NOTHING
            RETURNING \(columns)
            """, [.int(new.tenantID), .text(new.kind.rawValue), .text(new.queue), .text(new.arguments),
                  .int(new.priority), .int(new.maxAttempts), scheduled, key])
        if let row = inserted.first { return (job(row), true) }
        let existing = try await session.query("""
            SELECT \(columns) FROM jobs
            WHERE unique_key = $1 AND state NOT IN ('failed', 'cancelled')
            """, [key])
        guard let row = existing.first else {
            throw VigilError(.database, "job with unique key '\(new.uniqueKey ?? "")' neither inserted nor found")
        }
        return (job(row), false)
    }

    static func validate(_ new: NewJob) throws {
        guard (0...9).contains(new.priority) else {
            throw VigilError(.invalidArgument, "priority \(new.priority) is out of range: 0 (first) to 9")
        }
        guard new.maxAttempts >= 1 else { throw VigilError(.invalidArgument, "max attempts must be at least 1") }
        guard !new.queue.isEmpty else { throw VigilError(.invalidArgument, "the queue name is empty") }
        guard (try? JSONSerialization.jsonObject(with: Data(new.arguments.utf8))) is [String: Any] else {
            throw VigilError(.invalidArgument, "job arguments must be a JSON object, got: \(new.arguments.prefix(80))")
        }
    }

    public func job(id: Int) async throws -> Job? {
        try await database.query("SELECT \(Self.columns) FROM jobs WHERE id = $1::int8", binding: [.int(id)],
                                 doing: "reading job \(id)").first.map(Self.job)
    }

    /// Newest first, optionally of one state or queue.
    public func list(state: JobState? = nil, queue: String? = nil, limit: Int = 50) async throws -> [Job] {
        try await database.query("""
            SELECT \(Self.columns) FROM jobs
            WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR queue = $2)
            ORDER BY id DESC LIMIT $3::int8
            """, binding: [state.map { .text($0.rawValue) } ?? .null, queue.map { .text($0) } ?? .null, .int(limit)],
            doing: "listing jobs").map(Self.job)
    }

    /// Counts of jobs per state.
    public func counts() async throws -> [JobState: Int] {
        let rows = try await database.query("SELECT state, count(*)::int8 FROM jobs GROUP BY state", binding: [],
                                            doing: "counting jobs")
        var out: [JobState: Int] = [:]
        for row in rows { if let state = JobState(rawValue: row[0].text ?? "") { out[state] = row[1].int ?? 0 } }
        return out
    }

    /// Cancels a waiting job at once; asks the holder of a running one to stop its pipeline (it then
    /// records `cancelled`). Returns the job after the change; throws for an unknown or finished job.
    @discardableResult
    public func cancel(id: Int) async throws -> Job {
        let rows = try await database.query("""
            UPDATE jobs SET
                state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
                finished_at = CASE WHEN state = 'running' THEN finished_at ELSE now() END,
                cancel_requested = true
            WHERE id = $1::int8 AND state IN ('available', 'retryable', 'running')
            RETURNING \(Self.columns)
            """, binding: [.int(id)], doing: "cancelling job \(id)")
        if let row = rows.first { return Self.job(row) }
        guard let job = try await job(id: id) else { throw VigilError(.invalidArgument, "there is no job \(id)") }
        throw VigilError(.invalidArgument, "job \(id) is \(job.state.rawValue): only a waiting or running job can be cancelled")
    }

    /// Makes a failed, cancelled or completed job available again, with one more attempt allowed.
    @discardableResult
    public func retry(id: Int) async throws -> Job {
        do {
            let rows = try await database.query("""
                UPDATE jobs SET state = 'available', scheduled_at = now(), finished_at = NULL, cancel_requested = false,
                    max_attempts = greatest(max_attempts, attempt + 1)
                WHERE id = $1::int8 AND state IN ('failed', 'cancelled', 'completed')
                RETURNING \(Self.columns)
                """, binding: [.int(id)], doing: "retrying job \(id)")
            if let row = rows.first { return Self.job(row) }
        } catch where StoreError.isUniqueViolation(error) {
            throw VigilError(.invalidArgument, "job \(id) cannot be retried: another job with its unique key is waiting, "
                + "running or completed")
        }
        guard let job = try await job(id: id) else { throw VigilError(.invalidArgument, "there is no job \(id)") }
        throw VigilError(.invalidArgument, "job \(id) is \(job.state.rawValue): only a failed, cancelled or completed job can be retried")
    }
}
