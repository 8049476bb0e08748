import Foundation
import VigilCore
import VigilStore

/// What the analytics report shows, read with aggregate queries (the database summarises; only chart
/// points, histogram bins and grid cells come back).
struct ReportData {
    var from: Date
    var to: Date
    var cameras: [String]
    var objects: [(name: String, points: [(Double, Double)])] = []
    var occupancy: [(name: String, points: [(Double, Double)])] = []
    var alerts: [(start: Double, end: Double, rule: String, severity: String, message: String, camera: String, evidence: [String])] = []
    var dwell: [(label: String, value: Double)] = []
    var heat: [[Int]] = []
    var heatBounds: (x: ClosedRange<Double>, y: ClosedRange<Double>)?
    var lineCounts: [(label: String, value: Double)] = []
    var daily: [[String]] = []

    static let heatColumns = 40, heatRows = 24, dwellBins = 12

    /// `tenantID`: only that tenant's cameras (the named ones among them; all of them when none is named).
    static func load(_ db: Database, from: Date?, to: Date?, cameras: [String], tenantID: Int? = nil) async throws -> ReportData {
        let ids = try await db.cameraIDs(named: cameras, tenantID: tenantID)
        func only(_ column: String) -> String {
            if !ids.isEmpty { return " AND \(column) = ANY('{\(ids.map(String.init).joined(separator: ","))}'::int[])" }
            return tenantID.map { " AND \(column) IN (SELECT id FROM cameras WHERE tenant_id = \($0))" } ?? ""
        }
        let cameraFilter = only("t.camera_id")
        // The range: as given, else the extent of the track points.
        let extent = try await db.rows(sql: "SELECT min(t.time), max(t.time) FROM track_points t WHERE true\(cameraFilter)",
                                       doing: "reading the time range")
        let start = from ?? extent.first?[0].time ?? Date(timeIntervalSince1970: 0)
        let end = to ?? (extent.first?[1].time).map { $0.addingTimeInterval(0.001) } ?? start.addingTimeInterval(1)
        guard end > start else { throw VigilError(.invalidArgument, "the report's range is empty: --from must be before --to") }
        func literal(_ d: Date) -> String {
            var bytes: [UInt8] = []
            FieldEncoding.appendTime(d, to: &bytes)
            return "'" + String(decoding: bytes, as: UTF8.self) + "'::timestamptz"
        }
        let range = " AND t.time >= \(literal(start)) AND t.time < \(literal(end))" + cameraFilter
        var data = ReportData(from: start, to: end, cameras: cameras)
        let bucket = max(1, (end.timeIntervalSince(start) / 80).rounded(.up))

        let objects = try await db.rows(sql: """
            SELECT c.name, (floor(extract(epoch FROM t.time) / \(bucket)) * \(bucket))::float8, count(DISTINCT (t.run_id, t.track_id))
            FROM track_points t JOIN cameras c ON c.id = t.camera_id WHERE true\(range) GROUP BY 1, 2 ORDER BY 1, 2
            """, doing: "counting objects over time")
        data.objects = group(objects)

        let occupancy = try await db.rows(sql: """
            SELECT c.name || ' ' || coalesce(t.dimensions->>'zone', ''), extract(epoch FROM t.time)::float8, max(t.value)
            FROM aggregates t JOIN cameras c ON c.id = t.camera_id WHERE t.name = 'occupancy_max'\(range) GROUP BY 1, 2 ORDER BY 1, 2
            """, doing: "reading occupancy")
        data.occupancy = group(occupancy)

        let alerts = try await db.rows(sql: """
            SELECT extract(epoch FROM t.time)::float8, extract(epoch FROM coalesce(t.ended_at, t.time))::float8, t.rule, t.severity, t.message,
                   c.name, array_to_string(t.evidence, E'\\n')
            FROM events t JOIN cameras c ON c.id = t.camera_id WHERE t.alert_id IS NOT NULL\(range)
            ORDER BY t.time, c.name, t.alert_id LIMIT 500
            """, doing: "reading alerts")
        data.alerts = alerts.map { r in
            (r[0].double ?? 0, r[1].double ?? 0, r[2].text ?? "", r[3].text ?? "", r[4].text ?? "", r[5].text ?? "",
             (r[6].text ?? "").split(separator: "\n").map(String.init))
        }

        let trackRange = " AND t.last_seen >= \(literal(start)) AND t.first_seen < \(literal(end))" + cameraFilter
        let longest = try await db.scalar(sql: "SELECT max(t.duration) FROM tracks t WHERE true\(trackRange)", doing: "reading dwell").double ?? 0
        if longest > 0 {
            let width = (longest / Double(dwellBins)).rounded(.up).clamped(1)
            let bins = try await db.rows(sql: """
                SELECT least(floor(t.duration / \(width)), \(dwellBins - 1)), count(*) FROM tracks t WHERE true\(trackRange) GROUP BY 1 ORDER BY 1
                """, doing: "reading dwell")
            var counts = [Double](repeating: 0, count: dwellBins)
            for r in bins { if let b = r[0].double, b >= 0 { counts[Int(b)] += r[1].double ?? 0 } }
            data.dwell = counts.enumerated().map { ("\(SVGChart.number(Double($0.offset) * width))-\(SVGChart.number(Double($0.offset + 1) * width)) s", $0.element) }
        }

        let bounds = try await db.rows(sql: """
            SELECT min(t.map_x), max(t.map_x), min(t.map_y), max(t.map_y) FROM track_points t WHERE t.map_x IS NOT NULL\(range)
            """, doing: "reading map positions")
        if let b = bounds.first, let x0 = b[0].double, let x1 = b[1].double, let y0 = b[2].double, let y1 = b[3].double {
            let xr = x0...max(x1, x0 + 1e-6), yr = y0...max(y1, y0 + 1e-6)
            data.heatBounds = (xr, yr)
            data.heat = Array(repeating: Array(repeating: 0, count: heatColumns), count: heatRows)
            let cells = try await db.rows(sql: """
                SELECT least(floor((t.map_x - \(x0)) / \(xr.upperBound - x0) * \(heatColumns)), \(heatColumns - 1)),
                       least(floor((t.map_y - \(y0)) / \(yr.upperBound - y0) * \(heatRows)), \(heatRows - 1)), count(*)
                FROM track_points t WHERE t.map_x IS NOT NULL\(range) GROUP BY 1, 2
                """, doing: "reading map positions")
            for r in cells {
                if let c = r[0].double, let row = r[1].double { data.heat[Int(row)][Int(c)] += r[2].int ?? 0 }
            }
        }

        let lines = try await db.rows(sql: """
            SELECT coalesce(t.dimensions->>'line', '') || ' ' || coalesce(t.dimensions->>'direction', ''), sum(t.value)
            FROM aggregates t WHERE t.name = 'line_crossings'\(range) GROUP BY 1 ORDER BY 1
            """, doing: "reading line counts")
        data.lineCounts = lines.map { ($0[0].text ?? "", $0[1].double ?? 0) }

        let dayFilter = only("d.camera_id")
        let daily = try await db.rows(sql: """
            SELECT d.day::text, c.name, d.subject, round(d.monitored_seconds::numeric / 3600, 2)::text, d.alerts, d.info, d.warning,
                   d.critical, round(d.alerts_per_hour::numeric, 2)::text, round(d.risk_score::numeric, 1)::text
            FROM daily_statistics d JOIN cameras c ON c.id = d.camera_id
            WHERE d.day >= (\(literal(start)) AT TIME ZONE 'UTC')::date AND d.day <= (\(literal(end)) AT TIME ZONE 'UTC')::date\(dayFilter)
            ORDER BY d.day, c.name, d.subject
            """, doing: "reading daily statistics")
        data.daily = daily.map { $0.map(\.description) }
        return data
    }

    private static func group(_ rows: [[SQLValue]]) -> [(name: String, points: [(Double, Double)])] {
        var out: [(name: String, points: [(Double, Double)])] = []
        for r in rows {
            let name = r[0].text ?? ""
            if out.last?.name != name { out.append((name, [])) }
            out[out.count - 1].points.append((r[1].double ?? 0, r[2].double ?? 0))
        }
        return out
    }
}

extension Double {
    fileprivate func clamped(_ minimum: Double) -> Double { Swift.max(self, minimum) }
}
