public import Foundation
public import VigilCore

/// What to export from the results tables: a dataset, a time range, cameras (by name), classes (by
/// label) and global ids. Rows come in a stable order, so the same query gives the same rows in the
/// same order every time (exports are byte-reproducible).
public struct TabularQuery: Sendable, Hashable {
    public enum Dataset: String, Sendable, CaseIterable {
        /// One row per track and frame (`track_points`).
        case trackPoints = "track_points"
        /// One row per track (`tracks`: first and last seen, points, path length).
        case tracks
        /// One row per global identity across cameras (`identities`).
        case identities
        /// Alerts and other events (`events`).
        case events
        /// Windowed aggregates (`aggregates`).
        case aggregates
    }

    /// Row order. `time` suits spreadsheets; `track` (camera, run, track, time) suits trajectories;
    /// `frame` (camera, run, frame, track) suits MOT-Challenge files.
    public enum Order: Sendable, Hashable { case time, track, frame }

    public var dataset: Dataset
    /// Rows at or after `from` and before `to` (for tracks and identities: seen at some time in the range).
    public var from: Date?
    public var to: Date?
    /// Camera names; empty for all.
    public var cameras: [String]
    /// Class labels (track points and tracks); empty for all.
    public var classes: [String]
    public var globalIDs: [Int]
    /// Only this run's rows.
    public var runID: Int?
    /// Only rows of this tenant's cameras (an identity: seen by them only), camera names resolved among
    /// them; `nil` for every tenant (the operator's `vigil export`).
    public var tenantID: Int?
    public var order: Order

    public init(dataset: Dataset, from: Date? = nil, to: Date? = nil, cameras: [String] = [], classes: [String] = [],
                globalIDs: [Int] = [], runID: Int? = nil, tenantID: Int? = nil, order: Order = .time) {
        self.dataset = dataset; self.from = from; self.to = to; self.cameras = cameras; self.classes = classes
        self.globalIDs = globalIDs; self.runID = runID; self.tenantID = tenantID; self.order = order
    }

    /// The problems that make the query meaningless, for a clear error before anything runs.
    public func validate() throws(VigilError) {
        if let from, let to, from >= to {
            throw VigilError(.invalidArgument, "the time range is empty: --from \(from) is not before --to \(to)")
        }
        if !classes.isEmpty, dataset != .trackPoints, dataset != .tracks {
            throw VigilError(.invalidArgument, "classes select track points and tracks, not \(dataset.rawValue)")
        }
        if !globalIDs.isEmpty, dataset == .aggregates {
            throw VigilError(.invalidArgument, "global ids select track points, tracks, identities and events, not aggregates")
        }
    }

    /// The columns of the dataset, in the order of each row.
    public var columns: [SQLColumn] { Self.columns(of: dataset).map(\.column) }

    static func columns(of dataset: Dataset) -> [(column: SQLColumn, expression: String)] {
        func c(_ name: String, _ type: SQLColumnType, _ expression: String? = nil) -> (SQLColumn, String) {
            (SQLColumn(name, type), expression ?? "t.\(name)")
        }
        let camera = c("camera", .text, "c.name")
        switch dataset {
        case .trackPoints:
            return [c("time", .time), camera, c("run_id", .int), c("frame_index", .int), c("media_time", .double),
                    c("track_id", .int), c("global_id", .int), c("class_id", .int), c("label", .text), c("state", .text),
                    c("x", .double), c("y", .double), c("w", .double), c("h", .double), c("score", .double),
                    c("map_x", .double), c("map_y", .double)]
        case .tracks:
            return [c("run_id", .int), camera, c("track_id", .int), c("global_id", .int), c("class_id", .int),
                    c("label", .text), c("first_seen", .time), c("last_seen", .time), c("duration", .double),
                    c("points", .int), c("path_length", .double), c("last_x", .double), c("last_y", .double)]
        case .identities:
            return [c("run_id", .int), c("global_id", .int), c("first_seen", .time), c("last_seen", .time),
                    c("cameras", .json, "to_jsonb(ARRAY(SELECT k.name FROM cameras k WHERE k.id = ANY(t.cameras) ORDER BY k.name))::text")]
        case .events:
            return [c("time", .time), camera, c("run_id", .int), c("media_time", .double), c("rule", .text),
                    c("kind", .text), c("severity", .text), c("track_id", .int), c("global_id", .int), c("zone", .text),
                    c("message", .text), c("attributes", .json, "t.attributes::text"),
                    c("evidence", .json, "to_jsonb(t.evidence)::text"), c("acknowledged", .bool),
                    c("alert_id", .text), c("phase", .text), c("ended_at", .time), c("end_media_time", .double),
                    c("duration", .double), c("value", .double), c("peak_value", .double)]
        case .aggregates:
            return [c("time", .time), camera, c("run_id", .int), c("window_seconds", .double), c("name", .text),
                    c("value", .double), c("dimensions", .json, "t.dimensions::text")]
        }
    }

    /// The SELECT for this query; `cameraIDs` are the ids of ``cameras`` (resolved by the caller).
    func select(cameraIDs: [Int]) -> String {
        let table = dataset == .trackPoints ? "track_points" : dataset.rawValue
        let list = Self.columns(of: dataset).map { "\($0.expression) AS \($0.column.name)" }.joined(separator: ", ")
        var from = "\(table) t"
        if dataset != .identities { from += " JOIN cameras c ON c.id = t.camera_id" }
        var conditions: [String] = []
        let timed = dataset == .tracks || dataset == .identities
        if let start = self.from { conditions.append("\(timed ? "t.last_seen" : "t.time") >= \(SQLLiteral.time(start))") }
        if let end = to { conditions.append("\(timed ? "t.first_seen" : "t.time") < \(SQLLiteral.time(end))") }
        if !cameras.isEmpty {
            let ids = SQLLiteral.intArray(cameraIDs)
            conditions.append(dataset == .identities ? "t.cameras && \(ids)" : "t.camera_id = ANY(\(ids))")
        }
        if !classes.isEmpty { conditions.append("t.label = ANY(\(SQLLiteral.textArray(classes)))") }
        if !globalIDs.isEmpty { conditions.append("t.global_id = ANY(\(SQLLiteral.intArray(globalIDs)))") }
        if let runID { conditions.append("t.run_id = \(runID)") }
        if let tenantID {
            conditions.append(dataset == .identities
                ? "t.cameras <@ ARRAY(SELECT k.id FROM cameras k WHERE k.tenant_id = \(tenantID))"
                : "c.tenant_id = \(tenantID)")
        }
        var sql = "SELECT \(list) FROM \(from)"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        return sql + " ORDER BY " + orderBy
    }

    private var orderBy: String {
        switch dataset {
        case .trackPoints:
            switch order {
            case .time: "t.time, c.name, t.run_id, t.track_id"
            case .track: "c.name, t.run_id, t.track_id, t.time"
            case .frame: "c.name, t.run_id, t.frame_index, t.track_id"
            }
        case .tracks: order == .time ? "t.first_seen, c.name, t.run_id, t.track_id" : "c.name, t.run_id, t.track_id"
        case .identities: "t.first_seen, t.run_id, t.global_id"
        case .events: "t.time, c.name, t.run_id, t.rule, t.kind, t.alert_id NULLS FIRST, t.track_id NULLS FIRST, t.message, t.media_time"
        case .aggregates: "t.time, c.name, t.run_id, t.name, t.dimensions::text, t.window_seconds"
        }
    }
}

/// SQL literals for the few values export queries embed (COPY takes no parameters).
enum SQLLiteral {
    static func text(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\0", with: "").replacingOccurrences(of: "'", with: "''") + "'"
    }

    static func textArray(_ values: [String]) -> String {
        "ARRAY[" + values.map(text).joined(separator: ", ") + "]::text[]"
    }

    static func intArray(_ values: [Int]) -> String { "'{" + values.map(String.init).joined(separator: ",") + "}'::int[]" }

    /// A `timestamptz` exact to the microsecond.
    static func time(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        return "(timestamptz 'epoch' + \(micros) * interval '1 microsecond')"
    }
}
