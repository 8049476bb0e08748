import VigilStore
import VigilCore

/// A GeoJSON FeatureCollection of track points on the map plane (`map_x`, `map_y`, metres): each
/// position a Point with its time, camera, track, global id and label; each track with two or more
/// positions a LineString with its `start`, `end` and the `times` of its vertices. Points without map
/// coordinates (no homography) are left out. Tracks whose rows stop coming for `closeAfterRows` rows are
/// written out and forgotten, so memory holds only the open tracks (rows ordered by track close each at once).
final class GeoJSONRowWriter: RowWriter {
    private struct Key: Hashable { var camera: String; var run: Int?; var track: Int }
    private struct Path {
        var globalID: Int?
        var label: String
        var coordinates: [(Double, Double)] = []
        var times: [SQLValue] = []
        var lastRow = 0
    }

    private let file: OutputFile
    private let time, camera, run, track, global, label, frame, mapX, mapY: Int
    private var open: [Key: Path] = [:]
    private var order: [Key] = []
    private var rowNumber = 0
    private var features = 0
    private var lastKey: Key?
    private let byTrack: Bool
    static let closeAfterRows = 10_000

    /// `byTrack`: rows come track by track, so a track is complete when the next one starts.
    init(columns: [SQLColumn], path: String, byTrack: Bool) throws {
        self.byTrack = byTrack
        file = try OutputFile(path: path)
        time = try columnIndex("time", in: columns, for: "geojson")
        camera = try columnIndex("camera", in: columns, for: "geojson")
        run = columns.firstIndex { $0.name == "run_id" } ?? -1
        track = try columnIndex("track_id", in: columns, for: "geojson")
        global = try columnIndex("global_id", in: columns, for: "geojson")
        label = try columnIndex("label", in: columns, for: "geojson")
        frame = try columnIndex("frame_index", in: columns, for: "geojson")
        mapX = try columnIndex("map_x", in: columns, for: "geojson")
        mapY = try columnIndex("map_y", in: columns, for: "geojson")
        try file.write("{\"type\":\"FeatureCollection\",\"features\":[")
    }

    func write(_ row: [SQLValue]) throws {
        rowNumber += 1
        guard let mx = row[mapX].double, let my = row[mapY].double, mx.isFinite, my.isFinite else { return }
        let key = Key(camera: row[camera].text ?? "", run: run >= 0 ? row[run].int : nil, track: row[track].int ?? 0)
        if byTrack, let lastKey, lastKey != key, open[key] == nil { try close(lastKey) }
        lastKey = key
        try feature { out in
            out.append(contentsOf: "\"geometry\":{\"type\":\"Point\",\"coordinates\":[".utf8)
            FieldEncoding.appendDouble(mx, json: true, to: &out); out.append(0x2C)
            FieldEncoding.appendDouble(my, json: true, to: &out)
            out.append(contentsOf: "]},\"properties\":{\"time\":".utf8)
            JSONRowWriter.append(row[time], type: .time, to: &out)
            self.properties(key, globalID: row[global].int, label: row[label].text ?? "", to: &out)
            out.append(contentsOf: ",\"frame_index\":".utf8)
            JSONRowWriter.append(row[frame], type: .int, to: &out)
            out.append(0x7D)
        }
        if open[key] == nil {
            open[key] = Path(globalID: row[global].int, label: row[label].text ?? "")
            order.append(key)
        }
        open[key]!.coordinates.append((mx, my))
        open[key]!.times.append(row[time])
        open[key]!.lastRow = rowNumber
        if let globalID = row[global].int { open[key]!.globalID = globalID }
        if rowNumber % 1000 == 0 { try closeStale() }
    }

    func finish() throws {
        for key in order where open[key] != nil { try close(key) }
        try file.write("]}\n")
        try file.commit()
    }

    private func closeStale() throws {
        let stale = order.filter { open[$0].map { rowNumber - $0.lastRow > Self.closeAfterRows } ?? false }
        for key in stale { try close(key) }
        order.removeAll { open[$0] == nil }
    }

    private func close(_ key: Key) throws {
        guard let path = open.removeValue(forKey: key) else { return }
        guard path.coordinates.count >= 2 else { return }
        try feature { out in
            out.append(contentsOf: "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[".utf8)
            for (i, c) in path.coordinates.enumerated() {
                out.append(contentsOf: i == 0 ? [0x5B] : [0x2C, 0x5B])
                FieldEncoding.appendDouble(c.0, json: true, to: &out); out.append(0x2C)
                FieldEncoding.appendDouble(c.1, json: true, to: &out); out.append(0x5D)
            }
            out.append(contentsOf: "]},\"properties\":{\"start\":".utf8)
            JSONRowWriter.append(path.times.first!, type: .time, to: &out)
            out.append(contentsOf: ",\"end\":".utf8)
            JSONRowWriter.append(path.times.last!, type: .time, to: &out)
            self.properties(key, globalID: path.globalID, label: path.label, to: &out)
            out.append(contentsOf: ",\"times\":[".utf8)
            for (i, t) in path.times.enumerated() {
                if i > 0 { out.append(0x2C) }
                JSONRowWriter.append(t, type: .time, to: &out)
            }
            out.append(contentsOf: "]}".utf8)
        }
    }

    private func properties(_ key: Key, globalID: Int?, label: String, to out: inout [UInt8]) {
        out.append(contentsOf: ",\"camera\":".utf8)
        FieldEncoding.appendJSONString(key.camera, to: &out)
        out.append(contentsOf: ",\"run_id\":".utf8)
        JSONRowWriter.append(key.run.map(SQLValue.int) ?? .null, type: .int, to: &out)
        out.append(contentsOf: ",\"track_id\":".utf8)
        FieldEncoding.appendInt(key.track, to: &out)
        out.append(contentsOf: ",\"global_id\":".utf8)
        JSONRowWriter.append(globalID.map(SQLValue.int) ?? .null, type: .int, to: &out)
        out.append(contentsOf: ",\"label\":".utf8)
        FieldEncoding.appendJSONString(label, to: &out)
    }

    private func feature(_ body: (inout [UInt8]) -> Void) throws {
        let separator = features > 0
        features += 1
        try file.append { out in
            if separator { out.append(0x2C) }
            out.append(contentsOf: "\n{\"type\":\"Feature\",".utf8)
            body(&out)
            out.append(0x7D)
        }
    }
}
