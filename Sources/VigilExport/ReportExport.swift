public import Foundation
import VigilCore
public import VigilStore

/// The analytics report: one self-contained HTML file (inline CSS and SVG, thumbnails as data URIs,
/// no script, no external reference) and each chart as a PNG (librsvg) in a folder next to it.
public enum ReportExport {
    public struct Result: Sendable {
        public var path: String
        public var chartsFolder: String
        public var charts: [String]
    }

    /// Chart ids, in the order they appear.
    public static let chartIDs = ["objects-over-time", "occupancy-and-alerts", "dwell-distribution", "map-heat", "line-counts"]

    @discardableResult
    public static func run(database: Database, from: Date?, to: Date?, cameras: [String], tenantID: Int? = nil,
                           path: String) async throws -> Result {
        let data = try await ReportData.load(database, from: from, to: to, cameras: cameras, tenantID: tenantID)
        let clock = { (t: Double) -> String in
            let s = OverlayStamp.text(Date(timeIntervalSince1970: t))
            let span = data.to.timeIntervalSince(data.from)
            return span > 86_400 ? String(s.prefix(16)) : span > 60 ? String(s.dropFirst(11).prefix(8)) : String(s.dropFirst(11).prefix(12))
        }
        let charts: [(id: String, svg: String)] = [
            ("objects-over-time", SVGChart.lines(id: "objects-over-time", title: "Objects over time per camera", series: data.objects, xLabel: clock)),
            ("occupancy-and-alerts", SVGChart.timeline(id: "occupancy-and-alerts", title: "Occupancy (peak per window) and alerts",
                                                       occupancy: data.occupancy,
                                                       alerts: data.alerts.map { ($0.start, $0.end, $0.rule, $0.severity) }, xLabel: clock)),
            ("dwell-distribution", SVGChart.bars(id: "dwell-distribution", title: "Dwell distribution (tracks by time seen)", bars: data.dwell)),
            ("map-heat", SVGChart.heatmap(id: "map-heat", title: "Positions on the map plane (metres)", grid: data.heat, bounds: data.heatBounds)),
            ("line-counts", SVGChart.bars(id: "line-counts", title: "Line crossings", bars: data.lineCounts)),
        ]
        let url = URL(fileURLWithPath: path)
        let chartsPath = url.deletingPathExtension().path + "-charts"
        let folder = try OutputFolder(path: chartsPath)
        for chart in charts {
            try SVGRasterizer.writePNG(svg: chart.svg, width: SVGChart.width, height: SVGChart.height, to: folder.file(chart.id + ".png"))
        }
        let file = try OutputFile(path: path)
        try file.write(ReportHTML.page(data, charts: charts))
        try folder.commit()
        try file.commit()
        return Result(path: path, chartsFolder: chartsPath, charts: charts.map { chartsPath + "/" + $0.id + ".png" })
    }
}

/// The report's HTML.
enum ReportHTML {
    static let style = """
        body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#222;background:#fafafa}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
        .meta{color:#666;margin-bottom:16px}section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;margin:12px 0}
        table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
        th{background:#f0f0f0}td.num{text-align:right}img.thumb{width:120px;height:auto;border:1px solid #ccc}
        .critical{color:#b00020;font-weight:bold}.warning{color:#c05000}.info{color:#0060a0}
        """

    static func page(_ data: ReportData, charts: [(id: String, svg: String)]) -> String {
        let e = SVGChart.escape
        var html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vigil report</title><style>\(style)</style></head><body>"
        html += "<h1>Vigil analytics report</h1><div class=\"meta\">\(e(OverlayStamp.text(data.from))) to \(e(OverlayStamp.text(data.to)))"
        html += " · cameras: \(e(data.cameras.isEmpty ? "all" : data.cameras.joined(separator: ", ")))</div>"
        for chart in charts { html += "<section>\(chart.svg)</section>" }
        html += "<h2>Daily statistics and risk scores</h2><section><table id=\"daily-statistics\"><tr><th>day</th><th>camera</th><th>subject</th>"
        html += "<th>monitored h</th><th>alerts</th><th>info</th><th>warning</th><th>critical</th><th>alerts/h</th><th>risk</th></tr>"
        for row in data.daily {
            html += "<tr>" + row.enumerated().map { $0.offset >= 3 ? "<td class=\"num\">\(e($0.element))</td>" : "<td>\(e($0.element))</td>" }
                .joined() + "</tr>"
        }
        if data.daily.isEmpty { html += "<tr><td colspan=\"10\">no daily statistics in this range</td></tr>" }
        html += "</table></section><h2>Alerts</h2><section><table id=\"alerts\"><tr><th>time</th><th>camera</th><th>rule</th>"
        html += "<th>severity</th><th>message</th><th>snapshot</th></tr>"
        for alert in data.alerts {
            html += "<tr><td>\(e(OverlayStamp.text(Date(timeIntervalSince1970: alert.start))))</td><td>\(e(alert.camera))</td>"
            html += "<td>\(e(alert.rule))</td><td class=\"\(e(alert.severity))\">\(e(alert.severity))</td><td>\(e(alert.message))</td><td>"
            let jpegs = alert.evidence.filter { $0.hasSuffix(".jpg") }
            if let picture = jpegs.first(where: { $0.hasSuffix("_crop.jpg") }) ?? jpegs.first,
               let bytes = FileManager.default.contents(atPath: picture) {
                html += "<img class=\"thumb\" alt=\"snapshot\" src=\"data:image/jpeg;base64,\(bytes.base64EncodedString())\">"
            }
            html += "</td></tr>"
        }
        if data.alerts.isEmpty { html += "<tr><td colspan=\"6\">no alerts in this range</td></tr>" }
        return html + "</table></section></body></html>\n"
    }
}
