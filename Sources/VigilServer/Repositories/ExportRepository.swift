import Foundation
import VigilCore
import VigilJobs
import VigilStore

/// An export job as the API shows it: what was asked, how far the worker is, and the file once stored.
struct ExportStatus: Codable, Sendable {
    var id: Int
    var tenantId: Int
    var kind: String
    var dataset: String
    var format: String
    var fileName: String
    var cameraIds: [Int]
    /// `queued`, `running`, `completed`, `failed`, `cancelled` or `expired` (the file was deleted).
    var state: String
    /// `{"rows_done": n, "rows": total}` while the worker writes.
    var progress: JSONValue?
    var error: String?
    var createdAt: Date
    var finishedAt: Date?
    var size: Int?
    var sha256: String?
    var expiresAt: Date?
    var statusUrl: String
    /// Present once the file can be downloaded.
    var downloadUrl: String?
}

/// What a new export holds; the controller builds the job's arguments from it.
struct NewExport: Sendable {
    var tenantID: Int
    var kind: String
    var dataset: String
    var format: String
    /// The file is named `vigil-<dataset>-<id>.<extension>`.
    var fileExtension: String
    var cameraIDs: [Int]
    var createdBy: UUID
    var retentionSeconds: Int
    /// The job's arguments without `request` and `path`, which the repository fills in.
    var arguments: ExportJobArguments
}

/// A stored file's facts, for a download.
struct StoredExport: Sendable {
    var requestID: Int
    var fileName: String
    var contentType: String
    var size: Int
    var chunkSize: Int
    var sha256: String
}

/// `export_requests` with their jobs and files (`export_files`, `export_chunks`). An export is visible
/// to a caller who sees its tenant and every one of its cameras (an export of a whole tenant: its
/// admins and supervisors), in the SQL of every read.
struct ExportRepository: Sendable {
    let database: Database

    /// Writes the request and its job in one transaction; returns the request id.
    func create(_ export: NewExport) async throws -> Int {
        try await database.transaction(doing: "starting an export") { session in
            let rows = try await session.query("""
                INSERT INTO export_requests (tenant_id, kind, dataset, format, file_name, camera_ids, created_by, retention)
                VALUES ($1::int4, $2, $3, $4, '', $5::int4[], $6::uuid, make_interval(secs => $7::int8)) RETURNING id
                """, [.int(export.tenantID), .text(export.kind), .text(export.dataset), .text(export.format),
                      .array(export.cameraIDs), .text(export.createdBy.uuidString), .int(export.retentionSeconds)])
            guard let id = rows.first?.first?.int else { throw VigilError(.database, "the export was not created") }
            let fileName = "vigil-\(export.dataset)-\(id).\(export.fileExtension)"
            var arguments = export.arguments
            arguments.request = id
            arguments.path = fileName
            let json = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
            let job = try await JobQueue.enqueue(NewJob(kind: .export, queue: NewJob.defaultQueue(for: .export), arguments: json,
                                                        tenantID: export.tenantID), in: session).job
            try await session.execute("UPDATE export_requests SET job_id = $2::int8, file_name = $3 WHERE id = $1::int8",
                                      [.int(id), .int(job.id), .text(fileName)])
            return id
        }
    }

    private static func visible(_ e: String, _ scope: Scope, _ sql: inout SQLBuilder) -> String {
        var conditions: [String] = []
        if scope.role != .admin { conditions.append("\(e).tenant_id = \(sql.bind(scope.tenantID))") }
        if scope.role != .admin && scope.role != .supervisor { conditions.append("cardinality(\(e).camera_ids) > 0") }
        conditions.append("NOT EXISTS (SELECT 1 FROM cameras c WHERE c.id = ANY(\(e).camera_ids) AND NOT \(scope.cameras("c", &sql)))")
        return "(" + conditions.joined(separator: " AND ") + ")"
    }

    /// The export, or nil when the caller cannot see it.
    func status(_ id: Int, scope: Scope) async throws -> ExportStatus? {
        var sql = SQLBuilder()
        let text = """
            SELECT e.id, e.tenant_id, e.kind, e.dataset, e.format, e.file_name, array_to_json(e.camera_ids)::text, e.created_at,
                   coalesce(j.state, 'expired'), j.progress::text, j.errors -> -1 ->> 'error', j.finished_at,
                   f.size, f.sha256, f.stored_at + e.retention, e.expired_at IS NOT NULL OR f.stored_at + e.retention <= now()
            FROM export_requests e LEFT JOIN jobs j ON j.id = e.job_id LEFT JOIN export_files f ON f.request_id = e.id
            WHERE e.id = \(sql.bind(id)) AND \(Self.visible("e", scope, &sql))
            """
        guard let values = try await database.query(text, binding: sql.binds, doing: "reading an export").first else { return nil }
        let r = Row(values)
        let cameras = (try? JSONDecoder().decode([Int].self, from: Data((r.optionalText(6) ?? "[]").utf8))) ?? []
        let expired = r.values[15].bool ?? false
        let jobState = try r.text(8)
        let stored = r.optionalInt(12) != nil
        let state: String
        switch jobState {
        case _ where expired: state = "expired"
        case "available", "retryable": state = "queued"
        case "completed": state = stored ? "completed" : "expired"
        default: state = jobState
        }
        let progress = r.optionalText(9).flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        let base = "/api/v1/export/jobs/\(id)"
        return ExportStatus(
            id: try r.int(0), tenantId: try r.int(1), kind: try r.text(2), dataset: try r.text(3), format: try r.text(4),
            fileName: try r.text(5), cameraIds: cameras, state: state, progress: progress,
            error: state == "completed" ? nil : r.optionalText(10), createdAt: try r.time(7), finishedAt: r.optionalTime(11),
            size: state == "completed" ? r.optionalInt(12) : nil, sha256: state == "completed" ? r.optionalText(13) : nil,
            expiresAt: r.optionalTime(14), statusUrl: base + "/status", downloadUrl: state == "completed" ? base + "/download" : nil)
    }

    /// The stored file of a visible, unexpired export.
    func file(_ id: Int, scope: Scope) async throws -> StoredExport? {
        var sql = SQLBuilder()
        let text = """
            SELECT e.id, e.file_name, f.content_type, f.size, f.chunk_size, f.sha256
            FROM export_requests e JOIN export_files f ON f.request_id = e.id
            WHERE e.id = \(sql.bind(id)) AND e.expired_at IS NULL AND f.stored_at + e.retention > now() AND \(Self.visible("e", scope, &sql))
            """
        guard let values = try await database.query(text, binding: sql.binds, doing: "reading an export file").first else { return nil }
        let r = Row(values)
        return StoredExport(requestID: try r.int(0), fileName: try r.text(1), contentType: try r.text(2), size: try r.int(3),
                            chunkSize: try r.int(4), sha256: try r.text(5))
    }

    /// One stored piece of a file (``file(_:scope:)`` checked the caller).
    func chunk(of file: StoredExport, _ seq: Int) async throws -> Data {
        let rows = try await database.query("SELECT data FROM export_chunks WHERE request_id = $1::int8 AND seq = $2::int4",
                                            binding: [.int(file.requestID), .int(seq)], doing: "reading an export file")
        guard let data = rows.first?.first?.bytes else {
            throw VigilError(.database, "piece \(seq) of export \(file.requestID) is missing (the file expired meanwhile?)")
        }
        return data
    }

    /// Deletes the files whose retention has passed and marks their requests expired; returns how many.
    @discardableResult
    func expire() async throws -> Int {
        try await database.transaction(doing: "expiring export files") { session in
            let rows = try await session.query("""
                UPDATE export_requests e SET expired_at = now()
                FROM export_files f
                WHERE f.request_id = e.id AND e.expired_at IS NULL AND f.stored_at + e.retention <= now()
                RETURNING e.id
                """)
            let ids = rows.compactMap { $0.first?.int }
            if !ids.isEmpty {
                try await session.execute("DELETE FROM export_files WHERE request_id = ANY($1::int8[])", [.array(ids)])
            }
            return ids.count
        }
    }
}
