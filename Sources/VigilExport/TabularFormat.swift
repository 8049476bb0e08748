public import VigilStore
public import VigilCore

/// The file formats of tabular exports.
public enum TabularFormat: String, Sendable, CaseIterable {
    /// RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, quote or line
    /// break (and empty strings, so that they differ from NULL, which is an empty field).
    case csv
    /// One JSON object per line.
    case jsonl
    /// One JSON array of objects.
    case json
    /// MOT-Challenge track files, one per camera (`<out>/<camera>.txt`): `frame,id,x,y,w,h,score,-1,-1,-1`.
    case mot
    /// A GeoJSON FeatureCollection on the map plane: each position a Point, each track a LineString.
    case geojson

    /// Whether the format writes a folder (one file per camera) rather than one file.
    public var writesFolder: Bool { self == .mot }

    /// The media type of a download: a folder format travels as a tar archive (``TarArchive``).
    public var contentType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .jsonl: "application/x-ndjson"
        case .json: "application/json"
        case .mot: "application/x-tar"
        case .geojson: "application/geo+json"
        }
    }

    /// The file name extension of a download.
    public var fileExtension: String { self == .mot ? "tar" : rawValue }

    /// The row order the format needs for `dataset`, or an error when it cannot hold that dataset.
    public func order(for dataset: TabularQuery.Dataset) throws(VigilError) -> TabularQuery.Order {
        switch self {
        case .csv, .jsonl, .json: return .time
        case .mot, .geojson:
            guard dataset == .trackPoints else {
                throw VigilError(.invalidArgument, "the \(rawValue) format holds track points only, not \(dataset.rawValue); use csv, jsonl or json")
            }
            return self == .mot ? .frame : .track
        }
    }
}

/// Writes rows of one dataset in one format to a path (a file, or for MOT a folder), under a temporary
/// name until ``finish()``. Rows are written as they come: memory does not grow with their number.
///
/// Not thread-safe: use it from one thread at a time (``Database/streamRows(_:_:)`` calls it from its
/// connection thread only).
public final class TabularWriter: @unchecked Sendable {
    public let format: TabularFormat
    public let columns: [SQLColumn]
    public private(set) var rows = 0
    private let body: any RowWriter

    /// `rowsByTrack`: for GeoJSON, whether rows come track by track (from the database) rather than in
    /// time order (live), which decides when a track's LineString is complete.
    public init(format: TabularFormat, columns: [SQLColumn], path: String, rowsByTrack: Bool = true) throws {
        self.format = format
        self.columns = columns
        switch format {
        case .csv: body = try CSVRowWriter(columns: columns, path: path)
        case .jsonl: body = try JSONRowWriter(columns: columns, path: path, array: false)
        case .json: body = try JSONRowWriter(columns: columns, path: path, array: true)
        case .mot: body = try MOTRowWriter(columns: columns, folder: path)
        case .geojson: body = try GeoJSONRowWriter(columns: columns, path: path, byTrack: rowsByTrack)
        }
    }

    public func write(_ row: [SQLValue]) throws {
        try body.write(row)
        rows += 1
    }

    /// Completes the output and moves it to its final path.
    public func finish() throws { try body.finish() }
}

protocol RowWriter: AnyObject {
    func write(_ row: [SQLValue]) throws
    func finish() throws
}

/// The index of `name` in `columns`, or an error naming what the format needs.
func columnIndex(_ name: String, in columns: [SQLColumn], for format: String) throws -> Int {
    guard let index = columns.firstIndex(where: { $0.name == name }) else {
        throw VigilError(.invalidArgument, "the \(format) format needs a '\(name)' column")
    }
    return index
}
