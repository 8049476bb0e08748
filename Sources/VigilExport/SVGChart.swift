import Foundation

/// Charts as standalone SVG documents (inline in the report, rasterised to PNG by librsvg): axes with
/// a few labelled ticks, no script, no external reference.
enum SVGChart {
    static let width = 760, height = 280
    static let margin = (left: 56.0, right: 16.0, top: 34.0, bottom: 40.0)
    static let colors = ["#e6194b", "#3cb44b", "#0082c8", "#f58230", "#911eb4", "#46f0f0", "#f032e6", "#d2f53c", "#008080", "#aa6e28"]

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: abs(v) >= 10 ? "%.1f" : "%.2f", v)
    }

    private static func open(_ id: String, _ title: String, height h: Int = height) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(id)\" class=\"chart\" width=\"\(width)\" height=\"\(h)\" "
            + "viewBox=\"0 0 \(width) \(h)\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">"
            + "<title>\(escape(title))</title><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
            + "<text x=\"\(Int(margin.left))\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">\(escape(title))</text>"
    }

    private static func empty(_ id: String, _ title: String) -> String {
        open(id, title) + "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\" fill=\"#888\">no data in this range</text></svg>"
    }

    /// Axes and ticks for x in `xr`, y in `yr`; `xLabel` formats x ticks.
    private static func axes(xr: ClosedRange<Double>, yr: ClosedRange<Double>, xLabel: (Double) -> String) -> String {
        let (x0, x1) = (margin.left, Double(width) - margin.right), (y0, y1) = (Double(height) - margin.bottom, margin.top)
        var s = "<g stroke=\"#999\" stroke-width=\"1\"><line x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(x1)\" y2=\"\(y0)\"/>"
            + "<line x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(x0)\" y2=\"\(y1)\"/></g><g fill=\"#444\">"
        for i in 0...4 {
            let f = Double(i) / 4
            let y = y0 + (y1 - y0) * f, value = yr.lowerBound + (yr.upperBound - yr.lowerBound) * f
            s += "<text x=\"\(x0 - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(number(value))</text>"
            s += "<line x1=\"\(x0)\" y1=\"\(y)\" x2=\"\(x1)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            let x = x0 + (x1 - x0) * f, xv = xr.lowerBound + (xr.upperBound - xr.lowerBound) * f
            s += "<text x=\"\(x)\" y=\"\(y0 + 16)\" text-anchor=\"middle\">\(escape(xLabel(xv)))</text>"
        }
        return s + "</g>"
    }

    private static func scale(_ v: Double, _ r: ClosedRange<Double>, _ a: Double, _ b: Double) -> Double {
        let span = r.upperBound - r.lowerBound
        return span > 0 ? a + (v - r.lowerBound) / span * (b - a) : (a + b) / 2
    }

    /// One polyline per series; x and y are numbers (x usually Unix seconds).
    static func lines(id: String, title: String, series: [(name: String, points: [(Double, Double)])],
                      xLabel: (Double) -> String) -> String {
        let all = series.flatMap(\.points)
        guard let minX = all.map(\.0).min(), let maxX = all.map(\.0).max() else { return empty(id, title) }
        let xr = minX...max(maxX, minX + 1), yr = 0...max(1, all.map(\.1).max()!)
        var s = open(id, title) + axes(xr: xr, yr: yr, xLabel: xLabel)
        let (x0, x1) = (margin.left, Double(width) - margin.right), (y0, y1) = (Double(height) - margin.bottom, margin.top)
        for (i, line) in series.enumerated() {
            let color = colors[i % colors.count]
            let points = line.points.map { "\(number(scale($0.0, xr, x0, x1))),\(number(scale($0.1, yr, y0, y1)))" }.joined(separator: " ")
            s += "<polyline class=\"series\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>"
            s += "<rect x=\"\(Int(x1) - 150)\" y=\"\(Int(margin.top) + i * 14 - 9)\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            s += "<text x=\"\(Int(x1) - 136)\" y=\"\(Int(margin.top) + i * 14)\" fill=\"#222\">\(escape(line.name))</text>"
        }
        return s + "</svg>"
    }

    /// Vertical bars with labels.
    static func bars(id: String, title: String, bars: [(label: String, value: Double)]) -> String {
        guard !bars.isEmpty else { return empty(id, title) }
        let yr = 0...max(1, bars.map(\.value).max()!)
        var s = open(id, title) + axes(xr: 0...1, yr: yr, xLabel: { _ in "" })
        let (x0, x1) = (margin.left, Double(width) - margin.right), y0 = Double(height) - margin.bottom
        let slot = (x1 - x0) / Double(bars.count)
        for (i, bar) in bars.enumerated() {
            let h = scale(bar.value, yr, 0, y0 - margin.top)
            let x = x0 + slot * Double(i) + slot * 0.1
            s += "<rect class=\"bar\" x=\"\(number(x))\" y=\"\(number(y0 - h))\" width=\"\(number(slot * 0.8))\" height=\"\(number(h))\" "
                + "fill=\"\(colors[i % colors.count])\"><title>\(escape(bar.label)): \(number(bar.value))</title></rect>"
            s += "<text x=\"\(number(x + slot * 0.4))\" y=\"\(number(y0 + 28))\" text-anchor=\"middle\" font-size=\"9\" fill=\"#444\">"
                + "\(escape(String(bar.label.prefix(24))))</text>"
            s += "<text x=\"\(number(x + slot * 0.4))\" y=\"\(number(y0 - h - 3))\" text-anchor=\"middle\" fill=\"#222\">\(number(bar.value))</text>"
        }
        return s + "</svg>"
    }

    /// A grid of counts as shaded cells (row 0 at the bottom), with the plane's bounds.
    static func heatmap(id: String, title: String, grid: [[Int]], bounds: (x: ClosedRange<Double>, y: ClosedRange<Double>)?) -> String {
        guard let bounds, let peak = grid.flatMap({ $0 }).max(), peak > 0 else { return empty(id, title) }
        var s = open(id, title) + axes(xr: bounds.x, yr: bounds.y, xLabel: { number($0) })
        let (x0, x1) = (margin.left, Double(width) - margin.right), (y0, y1) = (Double(height) - margin.bottom, margin.top)
        let rows = grid.count, cols = grid.first?.count ?? 0
        let cw = (x1 - x0) / Double(cols), ch = (y0 - y1) / Double(rows)
        for r in 0..<rows {
            for c in 0..<cols where grid[r][c] > 0 {
                let f = (Double(grid[r][c]) / Double(peak)).squareRoot()
                let red = Int(255), green = Int(255 - 200 * f), blue = Int(255 - 255 * f)
                s += "<rect class=\"cell\" x=\"\(number(x0 + Double(c) * cw))\" y=\"\(number(y0 - Double(r + 1) * ch))\" "
                    + "width=\"\(number(cw + 0.5))\" height=\"\(number(ch + 0.5))\" fill=\"rgb(\(red),\(green),\(blue))\"/>"
            }
        }
        return s + "</svg>"
    }

    /// Occupancy series above, alerts as bars on a lane per rule below, on one time axis.
    static func timeline(id: String, title: String, occupancy: [(name: String, points: [(Double, Double)])],
                         alerts: [(start: Double, end: Double, rule: String, severity: String)], xLabel: (Double) -> String) -> String {
        let times = occupancy.flatMap { $0.points.map(\.0) } + alerts.flatMap { [$0.start, $0.end] }
        guard let minX = times.min(), let maxX = times.max() else { return empty(id, title) }
        let rules = Array(Set(alerts.map(\.rule))).sorted()
        let lanes = Double(rules.count) * 16
        let xr = minX...max(maxX, minX + 1)
        let ys = occupancy.flatMap { $0.points.map(\.1) }
        let yr = 0...max(1, ys.max() ?? 1)
        var s = open(id, title) + axes(xr: xr, yr: yr, xLabel: xLabel)
        let (x0, x1) = (margin.left, Double(width) - margin.right), y0 = Double(height) - margin.bottom
        let top = margin.top + lanes
        for (i, line) in occupancy.enumerated() {
            let points = line.points.map { "\(number(scale($0.0, xr, x0, x1))),\(number(scale($0.1, yr, y0, top)))" }.joined(separator: " ")
            s += "<polyline class=\"series\" fill=\"none\" stroke=\"\(colors[i % colors.count])\" stroke-width=\"2\" points=\"\(points)\"/>"
        }
        for (lane, rule) in rules.enumerated() {
            let y = margin.top + Double(lane) * 16
            s += "<text x=\"\(x1 - 4)\" y=\"\(number(y + 10))\" text-anchor=\"end\" fill=\"#222\">\(escape(rule))</text>"
            for alert in alerts where alert.rule == rule {
                let a = scale(alert.start, xr, x0, x1), b = max(a + 2, scale(alert.end, xr, x0, x1))
                let color = alert.severity == "critical" ? "#b00020" : alert.severity == "warning" ? "#f58230" : "#0082c8"
                s += "<rect class=\"alert\" x=\"\(number(a))\" y=\"\(number(y))\" width=\"\(number(b - a))\" height=\"12\" fill=\"\(color)\"/>"
            }
        }
        return s + "</svg>"
    }
}
