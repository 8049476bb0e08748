import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import VigilCore
import VigilExport
import VigilJobs
import VigilStore

extension ExportStatus: ResponseEncodable {}

/// `/api/v1/export`: tables of results as files, written by a worker off the request path.
/// `POST /tracking-data` answers at once (202) with the job's status URL; `GET /jobs/{id}/status` shows
/// progress; `GET /jobs/{id}/download` streams the file (`Range` honoured) until it expires. An export
/// reads only what its caller sees: their tenant, and for operators and viewers their cameras.
struct ExportController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("tracking-data", use: trackingData)
        group.post("analytics-report", use: analyticsReport)
        group.post("video-with-overlays", use: videoWithOverlays)
        group.get("jobs/:id/status", use: status)
        group.get("jobs/:id/download", use: download)
    }

    struct TrackingDataRequest: Decodable {
        /// `csv`, `json`, `jsonl`, `mot` (a tar archive, one file per camera) or `geojson`.
        var format: String
        /// `track_points` (default), `tracks`, `identities`, `events` or `aggregates`.
        var dataset: String?
        var from: Date?
        var to: Date?
        var cameraIds: [Int]?
        var classes: [String]?
        var globalIds: [Int]?
    }

    @Sendable func trackingData(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ExportStatus> {
        let caller = try context.caller()
        let body = try await request.json(TrackingDataRequest.self, context: context)
        guard let format = TabularFormat(rawValue: body.format) else {
            throw APIError.unprocessable("format: one of " + TabularFormat.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let datasetName = body.dataset ?? TabularQuery.Dataset.trackPoints.rawValue
        guard let dataset = TabularQuery.Dataset(rawValue: datasetName) else {
            throw APIError.unprocessable("dataset: one of " + TabularQuery.Dataset.allCases.map(\.rawValue).joined(separator: ", "))
        }
        do { _ = try format.order(for: dataset) } catch { throw APIError.unprocessable("format: \(error.message)") }
        if let from = body.from, let to = body.to, from >= to { throw APIError.unprocessable("from: must be before to") }
        let classes = body.classes ?? []
        guard classes.count <= 50, classes.allSatisfy({ (1...64).contains($0.unicodeScalars.count) && !$0.contains("\0") }) else {
            throw APIError.unprocessable("classes: up to 50 labels of 1 to 64 characters")
        }
        let globalIDs = body.globalIds ?? []
        guard globalIDs.count <= 1000, globalIDs.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) else {
            throw APIError.unprocessable("global_ids: up to 1,000 ids")
        }
        let (tenant, cameras) = try await cameras(body.cameraIds, caller: caller)
        let time = APIJSON.timeFormat
        let arguments = ExportJobArguments(
            dataset: dataset.rawValue, format: format.rawValue, path: "", from: body.from.map { $0.formatted(time) },
            to: body.to.map { $0.formatted(time) }, cameras: cameras.isEmpty ? nil : cameras.map(\.name),
            classes: classes.isEmpty ? nil : classes, globalIDs: globalIDs.isEmpty ? nil : globalIDs, tenant: tenant)
        let id = try await services.exports.create(NewExport(
            tenantID: tenant, kind: "tracking-data", dataset: dataset.rawValue, format: format.rawValue,
            fileExtension: format.fileExtension, cameraIDs: cameras.map(\.id), createdBy: caller.userID,
            retentionSeconds: Int(services.configuration.exportRetention), arguments: arguments))
        await services.record("export.tracking_data", .success, context: context, target: "export:\(id)",
                              details: ["dataset": .string(dataset.rawValue), "format": .string(format.rawValue),
                                        "cameras": .array(cameras.map { .number(Double($0.id)) })])
        guard let status = try await services.exports.status(id, scope: caller.scope) else { throw APIError.notFound("export job") }
        return .init(status: .accepted, headers: [.location: status.statusUrl], response: status)
    }

    struct AnalyticsReportRequest: Decodable {
        var from: Date?
        var to: Date?
        var cameraIds: [Int]?
    }

    /// `POST /analytics-report {from?, to?, camera_ids?}`: the analytics report (`vigil export report`:
    /// objects over time, occupancy and alerts, dwell, map heat, line counts, daily statistics with risk
    /// scores, the alert list) of what the caller sees, as one self-contained HTML file.
    @Sendable func analyticsReport(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ExportStatus> {
        let caller = try context.caller()
        let body = try await request.json(AnalyticsReportRequest.self, context: context)
        if let from = body.from, let to = body.to, from >= to { throw APIError.unprocessable("from: must be before to") }
        let (tenant, cameras) = try await cameras(body.cameraIds, caller: caller)
        let time = APIJSON.timeFormat
        var arguments = ExportJobArguments(dataset: "report", format: "html", path: "", from: body.from.map { $0.formatted(time) },
                                           to: body.to.map { $0.formatted(time) }, cameras: cameras.isEmpty ? nil : cameras.map(\.name),
                                           tenant: tenant)
        arguments.kind = ExportJobArguments.analyticsReport
        let id = try await services.exports.create(NewExport(
            tenantID: tenant, kind: ExportJobArguments.analyticsReport, dataset: "report", format: "html", fileExtension: "html",
            cameraIDs: cameras.map(\.id), createdBy: caller.userID, retentionSeconds: Int(services.configuration.exportRetention),
            arguments: arguments))
        await services.record("export.analytics_report", .success, context: context, target: "export:\(id)",
                              details: ["cameras": .array(cameras.map { .number(Double($0.id)) })])
        guard let status = try await services.exports.status(id, scope: caller.scope) else { throw APIError.notFound("export job") }
        return .init(status: .accepted, headers: [.location: status.statusUrl], response: status)
    }

    struct OverlayRequest: Decodable {
        var cameraId: Int
        var runId: Int?
    }

    /// `POST /video-with-overlays {camera_id, run_id?}`: a run's tracks, trails, zones and alerts drawn
    /// on the camera's recorded video (`vigil export overlay`), H.264/MP4. The run defaults to the
    /// camera's latest with tracks; the camera must be one the caller sees, with a recording as its URL.
    @Sendable func videoWithOverlays(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ExportStatus> {
        let caller = try context.caller()
        let body = try await request.json(OverlayRequest.self, context: context)
        guard (1...Int(Int32.max)).contains(body.cameraId) else { throw APIError.unprocessable("camera_id: a camera id") }
        guard let camera = try await services.cameras.get(body.cameraId, scope: caller.scope) else { throw APIError.notFound("camera") }
        guard let source = camera.url, !source.contains("://"), !source.hasPrefix(PushedFrames.cameraURLPrefix) else {
            throw APIError.unprocessable("camera_id: camera \(camera.id) has no recorded video (its URL is a stream or unset)")
        }
        if let run = body.runId, !(1...Query.maxBigID).contains(run) { throw APIError.unprocessable("run_id: a run id") }
        // The camera is in the caller's scope (checked above); its runs are read by its id.
        let runs = try await services.database.query("""
            SELECT max(run_id) FROM tracks WHERE camera_id = $1::int4 AND ($2::int8 IS NULL OR run_id = $2::int8)
            """, binding: [.int(camera.id), body.runId.map(SQLValue.int) ?? .null], doing: "finding the camera's run")
        guard let run = runs.first?.first?.int else { throw APIError.notFound("run with tracks of this camera") }
        var arguments = ExportJobArguments(dataset: "overlay", format: "mp4", path: "", cameras: [camera.name], run: run, tenant: camera.tenantId)
        arguments.kind = ExportJobArguments.videoWithOverlays
        arguments.cameraID = camera.id
        arguments.source = source
        let id = try await services.exports.create(NewExport(
            tenantID: camera.tenantId, kind: ExportJobArguments.videoWithOverlays, dataset: "overlay", format: "mp4", fileExtension: "mp4",
            cameraIDs: [camera.id], createdBy: caller.userID, retentionSeconds: Int(services.configuration.exportRetention),
            arguments: arguments))
        await services.record("export.video_with_overlays", .success, context: context, target: "export:\(id)",
                              details: ["camera": .number(Double(camera.id)), "run": .number(Double(run))])
        guard let status = try await services.exports.status(id, scope: caller.scope) else { throw APIError.notFound("export job") }
        return .init(status: .accepted, headers: [.location: status.statusUrl], response: status)
    }

    /// The tenant and cameras an export reads. Named cameras must all be visible and of one tenant; none
    /// named: the whole tenant for admins and supervisors, the caller's assigned cameras for others.
    private func cameras(_ ids: [Int]?, caller: Caller) async throws -> (tenant: Int, cameras: [Camera]) {
        if let ids, !ids.isEmpty {
            guard ids.count <= 256, Set(ids).count == ids.count, ids.allSatisfy({ (1...Int(Int32.max)).contains($0) }) else {
                throw APIError.unprocessable("camera_ids: at most 256 ids, each once")
            }
            var cameras: [Camera] = []
            for id in ids {
                guard let camera = try await services.cameras.get(id, scope: caller.scope) else { throw APIError.notFound("camera") }
                cameras.append(camera)
            }
            guard let tenant = cameras.first?.tenantId, cameras.allSatisfy({ $0.tenantId == tenant }) else {
                throw APIError.unprocessable("camera_ids: the cameras of one export belong to one tenant")
            }
            return (tenant, cameras)
        }
        if caller.role == .admin || caller.role == .supervisor { return (caller.tenantID, []) }
        let assigned = try await services.cameras.list(scope: caller.scope, tenantID: caller.tenantID, search: nil, limit: 256, offset: 0)
        guard !assigned.isEmpty else { throw APIError.forbidden("no cameras are assigned to you, so there is nothing to export") }
        return (caller.tenantID, assigned)
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> ExportStatus {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "export job")
        guard let status = try await services.exports.status(id, scope: caller.scope) else { throw APIError.notFound("export job") }
        return status
    }

    @Sendable func download(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "export job")
        guard let file = try await services.exports.file(id, scope: caller.scope) else {
            guard let status = try await services.exports.status(id, scope: caller.scope) else { throw APIError.notFound("export job") }
            if status.state == "expired" {
                throw APIError(.gone, code: "expired", "the file of export \(id) has expired; start the export again")
            }
            throw APIError.conflict("export \(id) is \(status.state); its file can be downloaded once it is completed")
        }
        let answer = RangedResponse(request, size: file.size, etag: "\"\(file.sha256)\"", headers: [
            .contentType: file.contentType, .contentDisposition: Self.attachment(file.fileName), .cacheControl: "private, no-store",
        ])
        let (status, headers) = (answer.status, answer.headers)
        guard let selected = answer.selected else { return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer())) }
        let exports = services.exports
        await services.record("export.download", .success, context: context, target: "export:\(id)")
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: selected.count) { writer in
            // One stored piece at a time: memory stays at a piece whatever the file's size.
            var offset = selected.first
            while offset <= selected.last {
                let seq = offset / file.chunkSize
                let start = seq * file.chunkSize
                let piece = try await exports.chunk(of: file, seq)
                let end = min(piece.count, selected.last - start + 1)
                guard offset - start < end else { throw VigilError(.database, "export \(file.requestID): piece \(seq) is shorter than recorded") }
                try await writer.write(ByteBuffer(bytes: piece[(piece.startIndex + offset - start)..<(piece.startIndex + end)]))
                offset = start + end
            }
            try await writer.finish(nil)
        })
    }

    /// `attachment; filename="..."` with an ASCII fallback and the RFC 8187 form for other characters.
    static func attachment(_ name: String) -> String {
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
