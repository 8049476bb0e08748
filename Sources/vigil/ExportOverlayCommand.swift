import ArgumentParser
import Foundation
import VigilCore
import VigilExport
import VigilMedia
import VigilPipeline
import VigilRules
import VigilStore
import VigilVision
#if canImport(Glibc)
import Glibc
#endif

/// `vigil export overlay`: a finished run drawn on its source video.
struct ExportOverlayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overlay",
        abstract: "Draw a run's tracks, trails, zones, lines and alerts on its source video (H.264/MP4).",
        discussion: """
        The video keeps the source's timing: the same frames at the same times. Zones and lines come from
        the alert stages of --pipeline (pixel-space ones).

        Examples:
          vigil export overlay --run 3 --out out/overlay.mp4
          vigil export overlay --camera plaza --source samples/vtest.avi --pipeline Pipelines/site-security.yaml --out out/plaza.mp4
        """)

    @Option(help: ArgumentHelp("The run (default: the latest with rows of --camera).", valueName: "ID"))
    var run: Int?
    @Option(help: ArgumentHelp("The camera (default: the run's only camera).", valueName: "NAME"))
    var camera: String?
    @Option(help: ArgumentHelp("The source video (default: the camera's URL in the database).", valueName: "PATH"))
    var source: String?
    @Option(help: ArgumentHelp("A pipeline file whose alert stages' zones and lines are drawn.", valueName: "FILE"))
    var pipeline: String?
    @Option(help: ArgumentHelp("The MP4 file to write.", valueName: "PATH"))
    var out: String
    @Option(help: "libx264 preset (ultrafast ... veryslow).")
    var preset = "veryfast"
    @Option(help: "libx264 constant rate factor (0-51).")
    var crf = 23
    @Option(help: "Encoder threads (0: libx264 decides).")
    var threads = 0
    @Flag(help: "No progress bar.")
    var quiet = false
    @OptionGroup var connection: DbConnectionOptions

    func validate() throws {
        guard (0...51).contains(crf) else { throw ArgumentParser.ValidationError("--crf must be from 0 to 51") }
        if let source, !source.contains("://"), !FileManager.default.fileExists(atPath: source) {
            throw ArgumentParser.ValidationError("--source: the video '\(source)' does not exist")
        }
    }

    func run() async throws {
        let geometry = try pipeline.map(Self.geometry) ?? OverlayGeometry()
        let showProgress = !quiet && isatty(STDERR_FILENO) == 1
        let output = out
        try await connection.withDB { db in
            try await Migrator(database: db).requireCurrent()
            let (runID, cameraName, cameraURL) = try await resolve(db)
            guard let video = source ?? cameraURL else {
                throw VigilError(.invalidArgument, "the database has no source video for camera '\(cameraName)'; pass it with --source")
            }
            let request = OverlayExport.Request(runID: runID, camera: cameraName, source: video, output: output, geometry: geometry,
                                                settings: VideoWriter.Settings(preset: preset, crf: crf, threads: threads))
            let frames = try await OverlayExport.run(database: db, request: request, renderer: OpenCVRenderer()) { done, total in
                if showProgress { ExportProgress.show(done: done, total: total ?? 0, unit: "frames") }
            }
            if showProgress { ExportProgress.clear() }
            if !quiet { printStandardError("wrote \(frames) frames of run \(runID), camera \(cameraName), to \(output)\n") }
        }
    }

    /// The run, camera name and the camera's URL.
    private func resolve(_ db: Database) async throws -> (Int, String, String?) {
        let cameraIDs = try await db.cameraIDs(named: camera.map { [$0] } ?? [])
        let runID: Int
        if let run {
            runID = run
        } else {
            let filter = cameraIDs.first.map { "WHERE camera_id = \($0)" } ?? ""
            guard let latest = try await db.scalar(sql: "SELECT max(run_id) FROM tracks \(filter)", doing: "finding the run").int else {
                throw VigilError(.invalidArgument, "no run has tracks\(camera.map { " of camera '\($0)'" } ?? ""); pass --run")
            }
            runID = latest
        }
        let cameras = try await db.rows(sql: """
            SELECT DISTINCT c.name, c.url FROM tracks t JOIN cameras c ON c.id = t.camera_id WHERE t.run_id = \(runID) ORDER BY 1
            """, doing: "reading the run's cameras")
        if let camera {
            guard let row = cameras.first(where: { $0[0].text == camera }) else {
                throw VigilError(.invalidArgument, "run \(runID) has no tracks of camera '\(camera)'")
            }
            return (runID, camera, row[1].text)
        }
        guard cameras.count == 1, let name = cameras[0][0].text else {
            throw VigilError(.invalidArgument, cameras.isEmpty ? "run \(runID) has no tracks; `vigil db status` lists the runs"
                             : "run \(runID) has several cameras (\(cameras.compactMap { $0[0].text }.joined(separator: ", "))); pass --camera")
        }
        return (runID, name, cameras[0][1].text)
    }

    /// Pixel-space zones and lines of the pipeline's alert stages.
    static func geometry(_ file: String) throws -> OverlayGeometry {
        let spec: PipelineSpec
        do { spec = try PipelineLoader(registry: StageKinds.registry).load(file: file) } catch {
            printError(error)
            throw ExitCode.failure
        }
        var geometry = OverlayGeometry()
        for component in spec.components {
            guard let alert = component.spec as? AlertSpec else { continue }
            for zone in alert.configuration.zones where zone.space == .pixels {
                geometry.zones.append((zone.id, zone.polygon.corners.map { (x: $0.x, y: $0.y) }))
            }
            for line in alert.configuration.lines where line.space == .pixels {
                geometry.lines.append((line.id, [(x: line.segment.a.x, y: line.segment.a.y), (x: line.segment.b.x, y: line.segment.b.y)]))
            }
        }
        return geometry
    }
}
