import ArgumentParser
import Foundation
import VigilCore
import VigilExport
import VigilStore

/// `vigil export report`: the analytics report of a time range and cameras.
struct ExportReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML analytics report, and each chart as a PNG.",
        discussion: """
        Objects over time per camera, occupancy and an alerts timeline, the dwell distribution, a heat map of
        positions on the map plane, line counts, daily statistics with risk scores and the alert list with
        snapshot thumbnails. The HTML needs no network (inline CSS and SVG, no script); the charts also go to
        <out without extension>-charts/<chart>.png.

        Example:
          vigil export report --from 2024-01-01T00:00:00Z --to 2024-01-08T00:00:00Z --camera plaza --out out/report.html
        """)

    @Option(help: ArgumentHelp("Start of the range (ISO 8601; default: the first track point).", valueName: "TIME"))
    var from: String?
    @Option(help: ArgumentHelp("End of the range (ISO 8601; default: the last track point).", valueName: "TIME"))
    var to: String?
    @Option(name: .customLong("camera"), help: ArgumentHelp("A camera; repeat for several (default: all).", valueName: "NAME"))
    var cameras: [String] = []
    @Option(help: ArgumentHelp("The HTML file to write.", valueName: "PATH"))
    var out: String
    @Flag(help: "No summary line.")
    var quiet = false
    @OptionGroup var connection: DbConnectionOptions

    func validate() throws {
        let start = try from.map { try parseTime($0, "--from") }, end = try to.map { try parseTime($0, "--to") }
        if let start, let end, start >= end { throw ArgumentParser.ValidationError("--from \(from!) is not before --to \(to!)") }
    }

    func run() async throws {
        let start = try from.map { try parseTime($0, "--from") }, end = try to.map { try parseTime($0, "--to") }
        let (cameras, out) = (self.cameras, self.out)
        try await connection.withDB { db in
            try await Migrator(database: db).requireCurrent()
            let result = try await ReportExport.run(database: db, from: start, to: end, cameras: cameras, path: out)
            if !quiet { printStandardError("wrote \(result.path) and \(result.charts.count) charts in \(result.chartsFolder)\n") }
        }
    }
}
