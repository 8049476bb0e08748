import ArgumentParser
import Foundation
import VigilCore
import VigilExport
import VigilStore
#if canImport(Glibc)
import Glibc
#endif

/// The selection and output options every table export takes.
struct ExportTableOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Rows at or after this time (ISO 8601, e.g. 2024-01-01T08:00:00Z).", valueName: "TIME"))
    var from: String?
    @Option(help: ArgumentHelp("Rows before this time (ISO 8601).", valueName: "TIME"))
    var to: String?
    @Option(name: .customLong("camera"), help: ArgumentHelp("A camera (source) name; repeat for several.", valueName: "NAME"))
    var cameras: [String] = []
    @Option(name: .customLong("class"), help: ArgumentHelp("A class label (track rows only); repeat for several.", valueName: "LABEL"))
    var classes: [String] = []
    @Option(name: .customLong("global-id"), help: ArgumentHelp("A global identity; repeat for several.", valueName: "ID"))
    var globalIDs: [Int] = []
    @Option(help: ArgumentHelp("Only this run's rows (see `vigil db status`).", valueName: "ID"))
    var run: Int?
    @Option(help: "csv, jsonl, json, mot or geojson.")
    var format: String = "csv"
    @Option(help: ArgumentHelp("The file to write (a folder for mot).", valueName: "PATH"))
    var out: String
    @Flag(help: "No progress bar.")
    var quiet = false
    @OptionGroup var connection: DbConnectionOptions

    func validate() throws {
        guard TabularFormat(rawValue: format) != nil else {
            throw ArgumentParser.ValidationError("unknown --format '\(format)'; expected one of \(TabularFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let start = try from.map { try parseTime($0, "--from") }, end = try to.map { try parseTime($0, "--to") }
        if let start, let end, start >= end {
            throw ArgumentParser.ValidationError("--from \(from!) is not before --to \(to!)")
        }
    }

    private static func problem(format: TabularFormat, query: TabularQuery) -> String? {
        do {
            _ = try format.order(for: query.dataset)
            try query.validate()
            return nil
        } catch {
            return error.message
        }
    }

    func query(_ dataset: TabularQuery.Dataset) throws -> TabularQuery {
        TabularQuery(dataset: dataset, from: try from.map { try parseTime($0, "--from") }, to: try to.map { try parseTime($0, "--to") },
                     cameras: cameras, classes: classes, globalIDs: globalIDs, runID: run)
    }

    func export(_ dataset: TabularQuery.Dataset) async throws {
        let query = try query(dataset)
        let format = TabularFormat(rawValue: format)!
        if let problem = Self.problem(format: format, query: query) { throw ArgumentParser.ValidationError(problem) }
        let path = out
        let showProgress = !quiet && isatty(STDERR_FILENO) == 1
        try await connection.withDB { db in
            try await Migrator(database: db).requireCurrent()
            let expected = showProgress ? try await db.count(query) : 0
            let rows = try await TabularExport.run(database: db, query: query, format: format, path: path) { done in
                if showProgress { ExportProgress.show(done: done, total: expected, unit: "rows") }
            }
            if showProgress { ExportProgress.clear() }
            if !quiet { printStandardError("exported \(rows) \(dataset.rawValue.replacingOccurrences(of: "_", with: " ")) to \(path)\n") }
        }
    }
}

/// An ISO 8601 time: `2024-01-01T08:00:00Z`, with fractional seconds or an offset, or a date (UTC midnight).
func parseTime(_ text: String, _ option: String) throws -> Date {
    let plain = ISO8601DateFormatter()
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    if let date = plain.date(from: text) ?? fractional.date(from: text) ?? day.date(from: text) { return date }
    throw ArgumentParser.ValidationError("\(option): '\(text)' is not an ISO 8601 time such as 2024-01-01T08:00:00Z")
}

/// A one-line progress bar on standard error.
enum ExportProgress {
    static func show(done: Int, total: Int, unit: String) {
        guard total > 0 else {
            printStandardError("\r\u{1B}[2K\(done) \(unit)")
            return
        }
        let fraction = min(1, Double(done) / Double(total))
        let filled = Int(fraction * 30)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
        printStandardError("\r\u{1B}[2K[\(bar)] \(String(format: "%3.0f%%", fraction * 100))  \(done)/\(total) \(unit)")
    }

    static func clear() { printStandardError("\r\u{1B}[2K") }
}

struct ExportTracksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracks", abstract: "Export track points (default), track summaries or global identities.")
    @Option(help: "points (one row per track and frame), tracks (one per track) or identities (one per global id).")
    var rows: String = "points"
    @OptionGroup var options: ExportTableOptions

    func validate() throws {
        guard ["points", "tracks", "identities"].contains(rows) else {
            throw ArgumentParser.ValidationError("unknown --rows '\(rows)'; expected points, tracks or identities")
        }
    }

    func run() async throws {
        try await options.export(rows == "points" ? .trackPoints : rows == "tracks" ? .tracks : .identities)
    }
}

struct ExportEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Export alerts and other events.")
    @OptionGroup var options: ExportTableOptions
    func run() async throws { try await options.export(.events) }
}

struct ExportAggregatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "aggregates", abstract: "Export windowed aggregates.")
    @OptionGroup var options: ExportTableOptions
    func run() async throws { try await options.export(.aggregates) }
}
