import ArgumentParser
import Foundation

/// `vigil export ...`: results leave Vigil as files.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export results: tables (CSV, JSON Lines, JSON, MOT, GeoJSON), a report, an overlay video, clips.",
        discussion: """
        Tables come from the results database ($DATABASE_URL, else the embedded server) for a time range
        (--from/--to, ISO 8601), cameras, classes and global ids. Every export is written under a temporary
        name in the target folder and renamed when complete: an interrupted export leaves nothing at --out.
        The same query gives byte-identical files.

        Examples:
          vigil export tracks --format csv --out out/points.csv --from 2024-01-01T00:00:00Z --to 2024-01-02T00:00:00Z
          vigil export tracks --rows tracks --camera plaza --format json --out out/tracks.json
          vigil export tracks --format mot --out out/mot          # one <camera>.txt per camera
          vigil export tracks --format geojson --out out/paths.geojson
          vigil export events --format jsonl --out out/events.jsonl
          vigil export aggregates --format csv --out out/aggregates.csv
        """,
        subcommands: [ExportTracksCommand.self, ExportEventsCommand.self, ExportAggregatesCommand.self, ExportOverlayCommand.self, ExportClipCommand.self, ExportReportCommand.self])
}
