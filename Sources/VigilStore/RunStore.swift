public import VigilCore
public import struct Foundation.Date
import Logging
import PostgresNIO

/// What identifies a run and how to treat earlier runs of the same pipeline over the same inputs.
public struct RunRequest: Sendable {
    public var pipelineName: String
    public var pipelineHash: String
    /// Id of the sink stage writing the run.
    public var sink: String
    public var mode: RunMode
    /// Source id -> input URL or path.
    public var inputs: [String: String]
    public var sources: [String]
    public var policy: RerunPolicy
    /// Wall-clock time of media time 0 for new runs (a resumed run keeps its own).
    public var timeOrigin: Date
    /// The job lease the run is written under: every write checks it is still held.
    public var lease: LeaseFence?
    /// Per source, its own time of media time 0 (recorded footage), over ``timeOrigin``; a resumed run keeps its own.
    public var timeOrigins: [String: Date]
    /// The tenant whose run it is (the tenant of its cameras); earlier runs are looked up within it.
    public var tenantID = 1

    public init(pipelineName: String, pipelineHash: String = "", sink: String, mode: RunMode, inputs: [String: String] = [:],
                sources: [String], policy: RerunPolicy, timeOrigin: Date, timeOrigins: [String: Date] = [:],
                lease: LeaseFence? = nil) {
        self.pipelineName = pipelineName; self.pipelineHash = pipelineHash; self.sink = sink; self.mode = mode
        self.inputs = inputs; self.sources = sources; self.policy = policy; self.timeOrigin = timeOrigin
        self.timeOrigins = timeOrigins; self.lease = lease
    }

    /// Stable text naming the inputs: the sorted `id=url` pairs, or the source ids when URLs are unknown.
    public var inputsKey: String {
        if inputs.isEmpty { return sources.sorted().joined(separator: "\n") }
        return inputs.keys.sorted().map { "\($0)=\(inputs[$0]!)" }.joined(separator: "\n")
    }
}

/// A run being written.
public struct RunHandle: Sendable {
    public var id: Int
    public var timeOrigin: Date
    /// Per source, its own time of media time 0 (``RunRequest/timeOrigins``).
    public var timeOrigins: [String: Date] = [:]
    /// `last_batch` of the run (0 when new).
    public var lastBatch: Int
    /// Committed positions of a resumed run (empty when new).
    public var checkpoints: [StreamKey: StreamPosition]
    /// Runs whose rows were deleted (`replace`).
    public var replacedRuns: [Int]
    public var resumed: Bool
}

/// Rows of `runs` and `checkpoints`, and the replace/resume rules.
public struct RunStore: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    /// Starts (or, with `.resume`, reopens) the run described by `request`.
    public func begin(_ request: RunRequest) async throws -> RunHandle {
        let logger = database.logger
        return try await database.withTransaction(doing: "starting the run") { connection in
            // Serialize runs of the same pipeline and inputs so two replacements cannot interleave.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(request.pipelineName + "\n" + request.sink + "\n" + request.inputsKey)))",
                                       logger: logger)
            if let lease = request.lease {
                let held = try await connection.query("""
                    SELECT 1 FROM jobs WHERE id = \(lease.jobID) AND lease_epoch = \(lease.epoch) AND state = 'running' FOR SHARE
                    """, logger: logger)
                var count = 0
                for try await _ in held { count += 1 }
                guard count == 1 else { throw Self.leaseLost(lease, batch: nil, url: self.database.url) }
            }
            let previous = try await connection.query("""
                SELECT id, pipeline_hash, status, last_batch, extract(epoch FROM time_origin)::float8, job_id
                FROM runs WHERE pipeline_name = \(request.pipelineName) AND sink = \(request.sink)
                  AND inputs_key = \(request.inputsKey) AND tenant_id = \(request.tenantID)
                ORDER BY id DESC
                """, logger: logger)
            var earlier: [(id: Int, hash: String, status: String, lastBatch: Int, origin: Double, job: Int?)] = []
            for try await row in previous.decode((Int, String, String, Int, Double, Int?).self) {
                earlier.append((row.0, row.1, row.2, row.3, row.4, row.5))
            }
            var policy = request.policy
            // A job's later attempt resumes its own run; when no attempt got as far as starting one, it
            // starts afresh, replacing what an earlier job wrote for the same pipeline and inputs.
            if policy == .resume, let lease = request.lease, earlier.first?.job != lease.jobID { policy = .replace }
            if policy == .resume, let last = earlier.first {
                if !last.hash.isEmpty, !request.pipelineHash.isEmpty, last.hash != request.pipelineHash {
                    throw VigilError(.invalidArgument, "cannot resume run \(last.id): the pipeline file changed since it "
                        + "ran (content hash \(last.hash.prefix(12)) vs \(request.pipelineHash.prefix(12))); use --replace",
                        subject: request.pipelineName)
                }
                try await connection.query("""
                    UPDATE runs SET status = 'running', ended_at = NULL, error = NULL WHERE id = \(last.id)
                    """, logger: logger)
                let rows = try await connection.query("""
                    SELECT source, stream, last_time, at_last_time, messages FROM checkpoints WHERE run_id = \(last.id)
                    """, logger: logger)
                var checkpoints: [StreamKey: StreamPosition] = [:]
                for try await (source, stream, time, at, count) in rows.decode((String, String, Double, Int, Int).self) {
                    checkpoints[StreamKey(source: source, stream: stream)] = StreamPosition(lastTime: time, atLastTime: at, messages: count)
                }
                let origins = try await connection.query("""
                    SELECT o.key, extract(epoch FROM o.value::timestamptz)::float8
                    FROM runs, jsonb_each_text(runs.time_origins) AS o WHERE runs.id = \(last.id)
                    """, logger: logger)
                var timeOrigins: [String: Date] = [:]
                for try await (source, epoch) in origins.decode((String, Double).self) {
                    timeOrigins[source] = Date(timeIntervalSince1970: epoch)
                }
                return RunHandle(id: last.id, timeOrigin: Date(timeIntervalSince1970: last.origin), timeOrigins: timeOrigins,
                                 lastBatch: last.lastBatch, checkpoints: checkpoints, replacedRuns: [], resumed: true)
            }
            var replaced: [Int] = []
            if policy == .replace, !earlier.isEmpty {
                replaced = earlier.map(\.id)
                try await Self.deleteRows(ofRuns: replaced, connection: connection, logger: logger)
            }
            let originSources = request.timeOrigins.keys.sorted()
            let originSeconds = originSources.map { request.timeOrigins[$0]!.timeIntervalSince1970 }
            let inserted = try await connection.query("""
                INSERT INTO runs (tenant_id, pipeline_name, pipeline_hash, sink, inputs_key, mode, sources, time_origin, time_origins, job_id)
                VALUES (\(request.tenantID), \(request.pipelineName), \(request.pipelineHash), \(request.sink), \(request.inputsKey),
                        \(request.mode.rawValue), \(request.sources), \(request.timeOrigin),
                        (SELECT coalesce(jsonb_object_agg(o.source, to_timestamp(o.seconds)), '{}')
                         FROM unnest(\(originSources)::text[], \(originSeconds)::float8[]) AS o(source, seconds)),
                        \(request.lease?.jobID))
                RETURNING id
                """, logger: logger)
            var id = 0
            for try await value in inserted.decode(Int.self) { id = value }
            return RunHandle(id: id, timeOrigin: request.timeOrigin, timeOrigins: request.timeOrigins, lastBatch: 0,
                             checkpoints: [:], replacedRuns: replaced, resumed: false)
        }
    }

    /// Deletes every row the runs wrote, then the runs (checkpoints, tracks and identities cascade),
    /// marking their time ranges for the rollups to recompute.
    static func deleteRows(ofRuns ids: [Int], connection: PostgresConnection, logger: Logger) async throws {
        let range = try await connection.query("""
            SELECT min(data_from), max(data_until) FROM runs WHERE id = ANY(\(ids))
            """, logger: logger)
        var bounds: (Date?, Date?) = (nil, nil)
        for try await row in range.decode((Date?, Date?).self) { bounds = row }
        if let from = bounds.0, let until = bounds.1 {
            for table in PartitionManager.timeTables {
                try await connection.query("""
                    DELETE FROM \(unescaped: table) WHERE run_id = ANY(\(ids)) AND time >= \(from) AND time <= \(until)
                    """, logger: logger)
            }
            try await connection.query("INSERT INTO rollup_invalidations (low, high) VALUES (\(from), \(until))", logger: logger)
        }
        try await connection.query("DELETE FROM runs WHERE id = ANY(\(ids))", logger: logger)
    }

    /// Records the end of a run (not when the run's job lease was lost: the new holder owns the row).
    public func finish(runID: Int, status: String, error: String?, lease: LeaseFence? = nil,
                       timeout: Duration = Database.operationTimeout) async throws {
        try await database.execute("""
            UPDATE runs SET status = \(status), ended_at = now(), error = \(error) WHERE id = \(runID)
              AND (\(lease?.jobID)::int8 IS NULL OR EXISTS (
                  SELECT 1 FROM jobs WHERE id = \(lease?.jobID) AND lease_epoch = \(lease?.epoch) AND state = 'running'))
            """, timeout: timeout, doing: "recording the end of the run")
    }

    /// Words of every lease-lost error, to recognise one in a stage's failure text.
    public static let leaseLostPhrase = "is no longer held under lease epoch"

    /// The error of a write refused because the job's lease passed to another worker.
    static func leaseLost(_ lease: LeaseFence, batch: Int?, url: DatabaseURL) -> VigilError {
        VigilError(.leaseLost, "job \(lease.jobID) \(leaseLostPhrase) \(lease.epoch) (it was rescued "
            + "or claimed by another worker)" + (batch.map { "; batch \($0) was not committed" } ?? "; the run was not started"),
            subject: url.description)
    }

    /// Camera ids for source names: a source bound to a camera (``RunPolicy/cameras``) gets that camera's id;
    /// the others get a camera of their name in the run's tenant, created as needed.
    public func cameraIDs(for sources: [String: String?], bound: [String: Int] = [:], tenantID: Int = 1) async throws -> [String: Int] {
        guard !sources.isEmpty else { return [:] }
        return try await database.withTransaction(doing: "registering cameras") { connection in
            var ids: [String: Int] = [:]
            for (name, url) in sources.sorted(by: { $0.key < $1.key }) {
                if let id = bound[name] { ids[name] = id; continue }
                let rows = try await connection.query("""
                    INSERT INTO cameras (tenant_id, name, url) VALUES (\(tenantID), \(name), \(url))
                    ON CONFLICT (tenant_id, name) DO UPDATE SET url = coalesce(EXCLUDED.url, cameras.url)
                    RETURNING id
                    """, logger: self.database.logger)
                for try await id in rows.decode(Int.self) { ids[name] = id }
            }
            return ids
        }
    }

    /// The tenant of the cameras sources are bound to (1, the default tenant, when none are). Every bound
    /// camera must exist, and all of one tenant: a run belongs to one tenant.
    public func tenant(ofBoundCameras bound: [String: Int]) async throws -> Int {
        guard !bound.isEmpty else { return 1 }
        let ids = Array(Set(bound.values)).sorted()
        return try await database.withConnection(doing: "reading the cameras of the run") { connection in
            let rows = try await connection.query("SELECT id, tenant_id FROM cameras WHERE id = ANY(\(ids))", logger: self.database.logger)
            var tenants: [Int: Int] = [:]
            for try await (id, tenant) in rows.decode((Int, Int).self) { tenants[id] = tenant }
            if let missing = ids.first(where: { tenants[$0] == nil }) {
                throw VigilError(.invalidArgument, "camera \(missing) does not exist (deleted since the task started?)")
            }
            let distinct = Set(tenants.values)
            guard distinct.count == 1, let tenant = distinct.first else {
                throw VigilError(.invalidArgument, "the cameras \(ids) belong to several tenants; a run belongs to one")
            }
            return tenant
        }
    }

    /// Last foot points of a run's tracks, to continue path lengths on resume.
    public func lastTrackPoints(runID: Int) async throws -> [(camera: Int, track: Int, x: Double, y: Double)] {
        try await database.withConnection(doing: "reading track summaries") { connection in
            let rows = try await connection.query(
                "SELECT camera_id, track_id, last_x, last_y FROM tracks WHERE run_id = \(runID)", logger: self.database.logger)
            var out: [(camera: Int, track: Int, x: Double, y: Double)] = []
            for try await (c, t, x, y) in rows.decode((Int, Int, Double, Double).self) { out.append((c, t, x, y)) }
            return out
        }
    }
}

extension RunStore {
    /// One line per recent run, newest first, for `vigil db status`.
    public func summary(limit: Int) async throws -> [String] {
        try await database.withConnection(doing: "listing runs") { connection in
            let rows = try await connection.query("""
                SELECT id, pipeline_name, sink, status, frames, rows_written, started_at::text, coalesce(error, '')
                FROM runs ORDER BY id DESC LIMIT \(limit)
                """, logger: self.database.logger)
            var out: [String] = []
            for try await (id, name, sink, status, frames, written, started, error) in
                rows.decode((Int, String, String, String, Int, Int, String, String).self) {
                out.append("run \(id) \(name)/\(sink) \(status): \(frames) frames, \(written) rows, started \(started)"
                           + (error.isEmpty ? "" : " — \(error)"))
            }
            return out
        }
    }
}
