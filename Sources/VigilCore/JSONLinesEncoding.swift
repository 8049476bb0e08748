public import struct Foundation.Date

/// The JSON shape of Vigil's results, shared by every JSON writer: one object per frame, event or row.
public enum JSONLinesEncoding {
    public static func encode(_ frame: AnnotatedFrame, into w: inout JSONWriter) {
        w.raw("{")
        w.key("kind", first: true); w.string("frame")
        w.key("source"); w.string(frame.info.sourceID)
        w.key("frame"); w.number(frame.info.index)
        w.key("time"); w.number(frame.info.time.seconds)
        if let capture = frame.info.captureTime {
            w.key("capture_time"); w.string(iso8601(capture))
        }
        w.key("width"); w.number(frame.info.sourceWidth)
        w.key("height"); w.number(frame.info.sourceHeight)
        w.key("detector_ran"); w.raw(frame.detectorRan ? "true" : "false")
        w.key("detections"); w.raw("[")
        for (i, d) in frame.detections.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{")
            w.key("label", first: true); w.string(d.label)
            w.key("class_id"); w.number(d.classID)
            w.key("score"); w.number(d.score)
            box(d.box, into: &w)
            w.raw("}")
        }
        w.raw("]")
        w.key("tracks"); w.raw("[")
        for (i, t) in frame.tracks.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{")
            w.key("track_id", first: true); w.number(t.trackID)
            if let g = t.globalID { w.key("global_id"); w.number(g) }
            w.key("label"); w.string(t.label)
            w.key("state"); w.string(t.state.rawValue)
            w.key("score"); w.number(t.score)
            box(t.box, into: &w)
            w.key("age"); w.number(t.age)
            w.key("vx"); w.number(t.velocityX)
            w.key("vy"); w.number(t.velocityY)
            if let x = t.mapX, let y = t.mapY {
                w.key("map_x"); w.number(x)
                w.key("map_y"); w.number(y)
            }
            w.raw("}")
        }
        w.raw("]")
        if !frame.measurements.isEmpty {
            w.key("measurements"); w.raw("{")
            for (k, key) in frame.measurements.keys.sorted().enumerated() {
                w.key(key, first: k == 0); w.number(frame.measurements[key]!)
            }
            w.raw("}")
        }
        w.raw("}")
    }

    public static func encode(_ e: Event, into w: inout JSONWriter) {
        w.raw("{")
        w.key("kind", first: true); w.string("event")
        w.key("source"); w.string(e.sourceID)
        w.key("time"); w.number(e.time.seconds)
        if let wall = e.wallTime { w.key("wall_time"); w.string(iso8601(wall)) }
        w.key("rule"); w.string(e.rule)
        w.key("event"); w.string(e.kind)
        w.key("severity"); w.string(e.severity.rawValue)
        if let t = e.trackID { w.key("track_id"); w.number(t) }
        if let g = e.globalID { w.key("global_id"); w.number(g) }
        if let z = e.zone { w.key("zone"); w.string(z) }
        w.key("message"); w.string(e.message)
        if let id = e.alertID { w.key("alert_id"); w.string(id) }
        if let phase = e.phase { w.key("phase"); w.string(phase.rawValue) }
        if let start = e.startTime { w.key("start_time"); w.number(start.seconds) }
        if let duration = e.duration { w.key("duration"); w.number(duration) }
        if let value = e.value { w.key("value"); w.number(value) }
        if let peak = e.peakValue { w.key("peak_value"); w.number(peak) }
        if !e.evidence.isEmpty {
            w.key("evidence"); w.raw("[")
            for (k, path) in e.evidence.enumerated() {
                if k > 0 { w.raw(",") }
                w.string(path)
            }
            w.raw("]")
        }
        w.key("attributes"); stringMap(e.attributes, into: &w)
        w.raw("}")
    }

    public static func encode(_ r: AggregateRow, into w: inout JSONWriter) {
        w.raw("{")
        w.key("kind", first: true); w.string("row")
        w.key("source"); w.string(r.sourceID)
        w.key("window_start"); w.number(r.windowStart.seconds)
        w.key("window_seconds"); w.number(r.windowSeconds)
        w.key("name"); w.string(r.name)
        w.key("value"); w.number(r.value)
        w.key("dimensions"); stringMap(r.dimensions, into: &w)
        w.raw("}")
    }

    /// A string-to-string object with sorted keys, so output is stable across runs.
    private static func stringMap(_ map: [String: String], into w: inout JSONWriter) {
        w.raw("{")
        for (i, key) in map.keys.sorted().enumerated() {
            w.key(key, first: i == 0); w.string(map[key]!)
        }
        w.raw("}")
    }

    private static func box(_ b: BoundingBox, into w: inout JSONWriter) {
        w.key("box"); w.raw("[")
        w.number(b.x); w.raw(","); w.number(b.y); w.raw(","); w.number(b.width); w.raw(","); w.number(b.height)
        w.raw("]")
    }

    /// A wall-clock time as written in results: ISO 8601 with fractional seconds, e.g. `2024-05-01T08:00:00.250Z`.
    public static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
