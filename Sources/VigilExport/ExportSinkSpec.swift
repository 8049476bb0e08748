public import Foundation
public import VigilCore
import VigilStore

/// The `export` sink: the live ports of a running pipeline written with the same writers as
/// `vigil export` (same columns, same formats). The file appears at `path` when the run ends (it is
/// written under a temporary name until then); `run_id` is empty (a live export has no database run),
/// and each alert `start`/`update`/`end` is its own row.
///
/// ```yaml
/// sinks:
///   points:
///     type: export
///     inputs: [tracks]
///     data: track_points        # track_points (from frames), events or aggregates (rows)
///     format: csv               # csv, jsonl, json, mot (path is a folder), geojson
///     path: out/points.csv
///     time_origin: run_start    # or an ISO 8601 time: the wall time of media time 0 for files (a job's time_origin wins)
/// ```
public struct ExportSinkSpec: StageSpec {
    public static let typeName = "export"
    public static let role = StageRole.sink
    public static let summary = "writes track points, events or aggregate rows as CSV, JSON Lines, JSON, MOT or GeoJSON"

    public enum Data: String, CaseIterable, Sendable { case trackPoints = "track_points", events, aggregates }

    public var path: String
    public var format: TabularFormat
    public var data: Data
    public var timeOrigin: Date?

    public init(config: ConfigReader) {
        path = config.requiredString("path") ?? "out/export"
        format = config.choice("format", as: TabularFormat.self) ?? .csv
        data = config.choice("data", as: Data.self) ?? .trackPoints
        timeOrigin = config.timeOrigin()
        if format == .mot || format == .geojson, data != .trackPoints {
            config.error("format \(format.rawValue) holds track points only; use data: track_points or another format",
                         at: config.raw("format")?.location)
        }
        config.finish()
    }

    public var inputPorts: Set<PortType> {
        switch data {
        case .trackPoints: [.frames]
        case .events: [.events]
        case .aggregates: [.rows]
        }
    }
    public var outputPort: PortType? { nil }

    var dataset: TabularQuery.Dataset {
        switch data {
        case .trackPoints: .trackPoints
        case .events: .events
        case .aggregates: .aggregates
        }
    }

    public func preflight(context: StageContext) async throws {
        let directory = URL(fileURLWithPath: context.resolvePath(path)).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw VigilError(.io, "cannot create the output folder: \(error.localizedDescription)", subject: directory.path)
        }
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        ExportSink(path: context.resolvePath(path), format: format, dataset: dataset, origin: timeOrigin ?? Date(),
                   origins: context.runPolicy.timeOrigins)
    }
}
