import Foundation
public import VigilCore

/// Zones (closed polygons) and lines (segments) to draw, in source pixels.
public struct OverlayGeometry: Sendable {
    public var zones: [(name: String, points: [(x: Double, y: Double)])]
    public var lines: [(name: String, points: [(x: Double, y: Double)])]
    public init(zones: [(name: String, points: [(x: Double, y: Double)])] = [], lines: [(name: String, points: [(x: Double, y: Double)])] = []) {
        self.zones = zones; self.lines = lines
    }
}

/// One object on one frame, as the overlay draws it.
struct OverlayObject {
    var trackID: Int
    var globalID: Int?
    var label: String
    var box: BoundingBox
}

/// What the overlay draws on each frame: each object's box in its track's colour with `#track gID
/// label`, a trail of its foot point over the last `trailSeconds`, the zones and lines, a red banner
/// per active alert and the time stamp. Keeps the trails between frames; draws through the
/// ``FrameRenderer`` (OpenCV, Hershey fonts) in place on the frame.
struct OverlayPainter {
    let geometry: OverlayGeometry
    var trailSeconds = 2.0
    private var trails: [Int: [(t: Double, x: Double, y: Double)]] = [:]

    init(geometry: OverlayGeometry) { self.geometry = geometry }

    static let palette: [RGB] = [RGB(230, 25, 75), RGB(60, 180, 75), RGB(0, 130, 200), RGB(245, 130, 48), RGB(145, 30, 180),
                                 RGB(70, 240, 240), RGB(240, 50, 230), RGB(210, 245, 60), RGB(250, 190, 212), RGB(0, 128, 128)]

    static func color(track: Int) -> RGB { palette[((track % palette.count) + palette.count) % palette.count] }

    mutating func drawings(objects: [OverlayObject], time: Double, stamp: String, alerts: [String],
                           width: Int, height: Int) -> [Drawing] {
        var out: [Drawing] = []
        let scale = max(0.4, Double(width) / 1600)
        for zone in geometry.zones {
            out.append(.polyline(zone.points, closed: true, color: .yellow, thickness: 2))
            if let first = zone.points.first { out.append(.text(zone.name, x: first.x + 4, y: first.y - 4, scale: scale, color: .yellow)) }
        }
        for line in geometry.lines {
            out.append(.polyline(line.points, closed: false, color: .yellow, thickness: 2))
            if let first = line.points.first { out.append(.text(line.name, x: first.x + 4, y: first.y - 4, scale: scale, color: .yellow)) }
        }
        var seen = Set<Int>()
        for object in objects {
            seen.insert(object.trackID)
            let foot = (t: time, x: object.box.x + object.box.width / 2, y: object.box.y + object.box.height)
            trails[object.trackID, default: []].append(foot)
            trails[object.trackID]!.removeAll { time - $0.t > trailSeconds }
        }
        for id in trails.keys where !seen.contains(id) {
            trails[id]!.removeAll { time - $0.t > trailSeconds }
            if trails[id]!.isEmpty { trails[id] = nil }
        }
        for (id, trail) in trails.sorted(by: { $0.key < $1.key }) where trail.count >= 2 {
            out.append(.polyline(trail.map { (x: $0.x, y: $0.y) }, closed: false, color: Self.color(track: id), thickness: 2))
        }
        for object in objects {
            let color = Self.color(track: object.trackID)
            out.append(.box(object.box, color: color, thickness: 2))
            var caption = "#\(object.trackID)"
            if let g = object.globalID { caption += " g\(g)" }
            caption += " " + object.label
            out.append(.text(caption, x: object.box.x, y: max(12, object.box.y - 4), scale: scale, color: color))
        }
        for (i, alert) in alerts.prefix(4).enumerated() {
            out.append(.text("ALERT " + alert, x: 8, y: Double(height) - 12 - Double(i) * 26 * max(1, scale / 0.5), scale: scale * 1.2,
                             color: .red))
        }
        out.append(.text(stamp, x: 8, y: 22 * max(1, scale / 0.5), scale: scale * 1.1, color: .white))
        return out
    }
}

/// `2024-01-01 08:00:00.040Z`-style stamps.
enum OverlayStamp {
    static func text(_ date: Date) -> String {
        var bytes: [UInt8] = []
        FieldEncoding.appendTime(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "T", with: " ")
    }
}
