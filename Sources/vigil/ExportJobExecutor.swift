import Foundation
import Logging
import VigilCore
import VigilExport
import VigilJobs
import VigilStore
import VigilVision

/// Runs `export` jobs: one table of the results written as `vigil export` writes it (the same library,
/// so the same bytes), scoped to the job's tenant when it names one. Progress (rows so far) is recorded
/// on the job; a cancel stops the export between two rows and leaves no file.
struct ExportJobExecutor: JobExecutor {
    let queue: JobQueue
    let logger: Logger

    func execute(_ claimed: ClaimedJob, control: JobControl) async throws -> String? {
        let job = claimed.job
        let arguments: ExportJobArguments
        do {
            arguments = try JSONDecoder().decode(ExportJobArguments.self, from: Data(job.arguments.utf8))
        } catch {
            throw VigilError(.invalidArgument, "job \(job.id): arguments are not those of an export job (\(error)): \(job.arguments)")
        }
        if arguments.kind == ExportJobArguments.analyticsReport { return try await report(arguments, job: job) }
        if arguments.kind == ExportJobArguments.videoWithOverlays { return try await overlay(arguments, claimed) }
        let (query, format) = try Self.query(arguments)
        let database = queue.database
        let expected = try await database.count(query)
        let queue = self.queue
        // A file for the API goes to a private folder first, then into the database.
        let staging = try arguments.request.map { _ in try Self.stagingFolder(job: job.id) }
        defer { if let staging { try? FileManager.default.removeItem(atPath: staging) } }
        let path = staging.map { $0 + "/" + URL(fileURLWithPath: arguments.path).lastPathComponent } ?? arguments.path
        let written = format.writesFolder && staging != nil ? path + ".folder" : path
        let rows = try await TabularExport.run(database: database, query: query, format: format, path: written,
                                               stop: control.shutdown) { done in
            Task { try? await queue.recordProgress(claimed, progress: "{\"rows_done\": \(done), \"rows\": \(expected)}") }
        }
        var result: [String: Any] = ["rows": rows, "path": arguments.path, "format": format.rawValue, "dataset": query.dataset.rawValue]
        if let request = arguments.request {
            if format.writesFolder { try TarArchive.write(folder: written, to: path) }
            result["size"] = try await ExportFileStore(database: database).store(request: request, file: path,
                                                                                  contentType: format.contentType)
            result["request"] = request
        }
        logger.info("export written", metadata: ["job.id": "\(job.id)", "rows": "\(rows)", "path": "\(arguments.path)"])
        return String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The analytics report of the arguments' range, cameras and tenant: its HTML (charts inline) is the file.
    private func report(_ arguments: ExportJobArguments, job: Job) async throws -> String? {
        let staging = try Self.stagingFolder(job: job.id)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let name = arguments.request == nil ? arguments.path : staging + "/" + URL(fileURLWithPath: arguments.path).lastPathComponent
        let written = try await ReportExport.run(database: queue.database, from: try arguments.from.map { try parseTime($0, "from") },
                                                 to: try arguments.to.map { try parseTime($0, "to") }, cameras: arguments.cameras ?? [],
                                                 tenantID: arguments.tenant, path: name)
        var result: [String: Any] = ["path": arguments.path, "kind": ExportJobArguments.analyticsReport, "charts": written.charts.count]
        if let request = arguments.request {
            result["size"] = try await ExportFileStore(database: queue.database).store(request: request, file: written.path,
                                                                                        contentType: "text/html; charset=utf-8")
            result["request"] = request
        }
        logger.info("analytics report written", metadata: ["job.id": "\(job.id)", "path": "\(arguments.path)"])
        return String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A run drawn on its camera's video, as `vigil export overlay` draws it; progress in frames.
    private func overlay(_ arguments: ExportJobArguments, _ claimed: ClaimedJob) async throws -> String? {
        let job = claimed.job
        guard let run = arguments.run, let camera = arguments.cameraID, let source = arguments.source else {
            throw VigilError(.invalidArgument, "job \(job.id): an overlay export needs run, camera_id and source")
        }
        let staging = try Self.stagingFolder(job: job.id)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let output = arguments.request == nil ? arguments.path : staging + "/" + URL(fileURLWithPath: arguments.path).lastPathComponent
        let queue = self.queue
        let request = OverlayExport.Request(runID: run, camera: arguments.cameras?.first ?? "", source: source, output: output)
        var withID = request
        withID.cameraID = camera
        let frames = try await OverlayExport.run(database: queue.database, request: withID, renderer: OpenCVRenderer()) { done, total in
            Task { try? await queue.recordProgress(claimed, progress: #"{"frames_done": \#(done)\#(total.map { ", \"frames\": \($0)" } ?? "")}"#) }
        }
        var result: [String: Any] = ["path": arguments.path, "kind": ExportJobArguments.videoWithOverlays, "frames": frames]
        if let request = arguments.request {
            result["size"] = try await ExportFileStore(database: queue.database).store(request: request, file: output, contentType: "video/mp4")
            result["request"] = request
        }
        logger.info("overlay video written", metadata: ["job.id": "\(job.id)", "frames": "\(frames)"])
        return String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self)
    }

    private static func stagingFolder(job: Int) throws -> String {
        let folder = FileManager.default.temporaryDirectory.path + "/vigil-export-\(job)-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw VigilError(.io, "cannot create a folder for the export: \(error.localizedDescription)", subject: folder)
        }
        return folder
    }

    /// The query and format the arguments name; a clear error for anything unknown.
    static func query(_ arguments: ExportJobArguments) throws -> (TabularQuery, TabularFormat) {
        guard let dataset = TabularQuery.Dataset(rawValue: arguments.dataset) else {
            throw VigilError(.invalidArgument, "unknown dataset '\(arguments.dataset)'; expected one of "
                + TabularQuery.Dataset.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let format = TabularFormat(rawValue: arguments.format) else {
            throw VigilError(.invalidArgument, "unknown format '\(arguments.format)'; expected one of "
                + TabularFormat.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let query = TabularQuery(dataset: dataset, from: try arguments.from.map { try parseTime($0, "from") },
                                 to: try arguments.to.map { try parseTime($0, "to") }, cameras: arguments.cameras ?? [],
                                 classes: arguments.classes ?? [], globalIDs: arguments.globalIDs ?? [], runID: arguments.run,
                                 tenantID: arguments.tenant)
        _ = try format.order(for: dataset)
        try query.validate()
        return (query, format)
    }
}
