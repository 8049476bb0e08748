/// The arguments of an `export` job: a table of the results (as `vigil export` writes it) to a file.
///
///     {"dataset": "track_points", "format": "csv", "path": "exports/plaza.csv",
///      "from": "2024-01-01T08:00:00Z", "to": "2024-01-01T09:00:00Z", "cameras": ["plaza"], "tenant": 2}
public struct ExportJobArguments: Codable, Sendable, Equatable {
    /// `track_points`, `tracks`, `identities`, `events` or `aggregates`.
    public var dataset: String
    /// `csv`, `jsonl`, `json`, `mot` or `geojson`.
    public var format: String
    /// The file to write (a folder for `mot`); relative paths are the worker's working directory's.
    public var path: String
    /// ISO 8601 times: rows at or after `from` and before `to`.
    public var from: String?
    public var to: String?
    /// Camera names (among the tenant's cameras when `tenant` is given), class labels, global ids, a run.
    public var cameras: [String]?
    public var classes: [String]?
    public var globalIDs: [Int]?
    public var run: Int?
    /// Only this tenant's rows; `nil` for every tenant (an operator's job).
    public var tenant: Int?
    /// The API's export request this file is for: the worker writes it to a temporary folder (`path` is
    /// then only the file's name) and stores it in the database for download (``ExportFileStore``).
    public var request: Int?
    /// `analytics-report`: the analytics report (`vigil export report`) of the range and cameras, one
    /// self-contained HTML file, instead of a table (`dataset` and `format` are then `report` and `html`).
    public var kind: String?

    public static let analyticsReport = "analytics-report"
    /// `video-with-overlays`: run `run`'s tracks, trails and alerts drawn on camera `camera_id`'s video
    /// `source` (`vigil export overlay`), as H.264/MP4.
    public static let videoWithOverlays = "video-with-overlays"
    public var cameraID: Int?
    public var source: String?

    public init(dataset: String, format: String, path: String, from: String? = nil, to: String? = nil,
                cameras: [String]? = nil, classes: [String]? = nil, globalIDs: [Int]? = nil, run: Int? = nil, tenant: Int? = nil,
                request: Int? = nil) {
        self.dataset = dataset; self.format = format; self.path = path; self.from = from; self.to = to
        self.cameras = cameras; self.classes = classes; self.globalIDs = globalIDs; self.run = run; self.tenant = tenant
        self.request = request
    }

    enum CodingKeys: String, CodingKey {
        case dataset, format, path, from, to, cameras, classes, run, tenant, request, kind, source
        case cameraID = "camera_id"
        case globalIDs = "global_ids"
    }
}
