public import Foundation
public import VigilStore

/// What one process at a time does for everyone: the leader lease, rescuing expired leases, pruning.
extension JobQueue {
    /// Takes or extends the leader lease for `worker` for `ttl` seconds; `true` while `worker` leads.
    public func lead(worker: String, ttl: Double) async throws -> Bool {
        let rows = try await database.query("""
            UPDATE job_leader SET holder = $1, lease_until = now() + $2::float8 * interval '1 second',
                epoch = CASE WHEN holder = $1 THEN epoch ELSE epoch + 1 END
            WHERE id = 1 AND (holder = $1 OR lease_until < now())
            RETURNING epoch
            """, binding: [.text(worker), .double(ttl)], doing: "taking the leader lease")
        return rows.count == 1
    }

    /// Gives the leader lease up (a stopping worker), so another takes it without waiting for the ttl.
    public func resign(worker: String) async throws {
        try await database.execute("""
            UPDATE job_leader SET holder = NULL, lease_until = '-infinity' WHERE id = 1 AND holder = $1
            """, binding: [.text(worker)], doing: "giving up the leader lease")
    }

    /// The current leader, if its lease runs.
    public func leader() async throws -> String? {
        try await database.query("SELECT holder FROM job_leader WHERE id = 1 AND lease_until >= now()", binding: [],
                                 doing: "reading the leader").first?.first?.text
    }

    /// Running jobs whose lease expired (their worker died, paused or lost the database) become
    /// `retryable` at once (or `failed` when no attempt is left, `cancelled` when a cancel was asked),
    /// with a new epoch, so the old holder can no longer write for them. Returns the rescued ids.
    @discardableResult
    public func rescueExpired() async throws -> [Int] {
        let rows = try await database.query("""
            UPDATE jobs SET
                state = CASE WHEN cancel_requested THEN 'cancelled' WHEN attempt >= max_attempts THEN 'failed' ELSE 'retryable' END,
                finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN now() END,
                scheduled_at = now(), lease_epoch = lease_epoch + 1, leased_by = NULL, lease_until = NULL,
                errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempt, 'at', now(), 'worker', leased_by,
                    'error', 'lease expired at ' || to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                             || ': the worker stopped renewing it'))
            WHERE state = 'running' AND lease_until < now()
            RETURNING id
            """, binding: [], doing: "rescuing jobs with expired leases")
        return rows.compactMap { $0.first?.int }
    }

    /// Deletes finished jobs older than `age` seconds; returns how many.
    @discardableResult
    public func prune(olderThan age: Double) async throws -> Int {
        try await database.query("""
            WITH gone AS (
                DELETE FROM jobs WHERE state IN ('completed', 'failed', 'cancelled')
                  AND finished_at < now() - $1::float8 * interval '1 second' RETURNING 1)
            SELECT count(*)::int8 FROM gone
            """, binding: [.double(age)], doing: "pruning finished jobs").first?.first?.int ?? 0
    }
}

extension JobQueue {
    /// A worker's fair share of live cameras: the stream jobs waiting or running over the workers alive
    /// (heartbeat within `aliveWithin` seconds) that take cameras, rounded up.
    public func streamShare(aliveWithin: Double) async throws -> Int {
        let row = try await database.query("""
            SELECT (SELECT count(*)::int8 FROM jobs WHERE kind = 'stream' AND state IN ('available', 'retryable', 'running')),
                   (SELECT count(*)::int8 FROM job_workers WHERE capacity_cameras > 0 AND NOT stopping
                      AND heartbeat_at >= now() - $1::float8 * interval '1 second')
            """, binding: [.double(aliveWithin)], doing: "reading the camera share").first
        let cameras = row?[0].int ?? 0, workers = max(row?[1].int ?? 1, 1)
        return (cameras + workers - 1) / workers
    }
}

/// A row of `job_workers` with what the worker holds.
public struct WorkerInfo: Sendable {
    public var name: String
    public var host: String
    public var pid: Int
    public var queues: [String]
    public var concurrency: Int
    public var capacityCameras: Int
    public var startedAt: Date
    public var heartbeatAt: Date
    public var stopping: Bool
    /// Whether the heartbeat is recent (within the `alive` window the caller gave).
    public var alive: Bool
    public var leader: Bool
    /// Ids of the jobs it holds, by kind.
    public var held: [(id: Int, kind: JobKind)]
}

/// The `job_workers` table.
extension JobQueue {
    public func register(worker: String, host: String, pid: Int, queues: [String], concurrency: Int, capacityCameras: Int) async throws {
        try await database.execute("""
            INSERT INTO job_workers (name, host, pid, queues, concurrency, capacity_cameras)
            VALUES ($1, $2, $3::int8, $4::text[], $5::int8, $6::int8)
            ON CONFLICT (name) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, queues = EXCLUDED.queues,
                concurrency = EXCLUDED.concurrency, capacity_cameras = EXCLUDED.capacity_cameras, started_at = now(),
                heartbeat_at = now(), stopping = false
            """, binding: [.text(worker), .text(host), .int(pid), .array(queues), .int(concurrency), .int(capacityCameras)],
            doing: "registering worker \(worker)")
    }

    public func heartbeat(worker: String, stopping: Bool) async throws {
        try await database.execute("""
            UPDATE job_workers SET heartbeat_at = now(), stopping = $2 WHERE name = $1
            """, binding: [.text(worker), .bool(stopping)], doing: "recording the heartbeat of \(worker)")
    }

    public func unregister(worker: String) async throws {
        try await database.execute("DELETE FROM job_workers WHERE name = $1", binding: [.text(worker)],
                                   doing: "unregistering worker \(worker)")
    }

    /// Every registered worker; `alive` when its heartbeat is at most `aliveWithin` seconds old.
    /// Workers silent for `forgetAfter` seconds are removed first.
    public func workers(aliveWithin: Double = 20, forgetAfter: Double = 86_400) async throws -> [WorkerInfo] {
        try await database.execute("""
            DELETE FROM job_workers WHERE heartbeat_at < now() - $1::float8 * interval '1 second'
            """, binding: [.double(forgetAfter)], doing: "forgetting silent workers")
        let leader = try await leader()
        let rows = try await database.query("""
            SELECT w.name, w.host, w.pid::int8, array_to_string(w.queues, ','), w.concurrency::int8, w.capacity_cameras::int8,
                   w.started_at, w.heartbeat_at, w.stopping, w.heartbeat_at >= now() - $1::float8 * interval '1 second',
                   coalesce(string_agg(j.id || ':' || j.kind, ',' ORDER BY j.id), '')
            FROM job_workers w LEFT JOIN jobs j ON j.leased_by = w.name AND j.state = 'running'
            GROUP BY w.name ORDER BY w.name
            """, binding: [.double(aliveWithin)], doing: "listing workers")
        return rows.map { row in
            let held = (row[10].text ?? "").split(separator: ",").compactMap { entry -> (Int, JobKind)? in
                let parts = entry.split(separator: ":")
                guard parts.count == 2, let id = Int(parts[0]), let kind = JobKind(rawValue: String(parts[1])) else { return nil }
                return (id, kind)
            }
            return WorkerInfo(name: row[0].text ?? "", host: row[1].text ?? "", pid: row[2].int ?? 0,
                              queues: (row[3].text ?? "").split(separator: ",").map(String.init), concurrency: row[4].int ?? 0,
                              capacityCameras: row[5].int ?? 0, startedAt: row[6].time ?? Date(), heartbeatAt: row[7].time ?? Date(),
                              stopping: row[8].bool ?? false, alive: row[9].bool ?? false, leader: row[0].text == leader,
                              held: held.map { (id: $0.0, kind: $0.1) })
        }
    }
}
