import VigilCore

/// Event-time tumbling windows of one camera: what happened in each window, emitted once when the
/// window closes. A window closes when the camera's watermark (the latest media time seen, less
/// `allowedLateness`) passes its end; a message for a window already closed is late and dropped
/// (counted by the caller). Pure: no I/O.
struct WindowAggregator {
    let source: String
    let seconds: Double
    let allowedLateness: Double
    /// Per-frame measurements summarised per window (`measurement_mean|min|max|last {measurement}`).
    var measurements: [String] = []

    /// One measurement over a window's frames that carried it.
    struct Summary {
        var count = 0, sum = 0.0, min = Double.infinity, max = -Double.infinity, last = 0.0, lastTime = -Double.infinity

        mutating func add(_ value: Double, at time: Double) {
            count += 1; sum += value; min = Swift.min(min, value); max = Swift.max(max, value)
            if time >= lastTime { last = value; lastTime = time }
        }
    }

    struct Window {
        var start: Double
        var frames = 0
        var monitoredSeconds = 0.0
        var uniqueTracks: [String: Set<Int>] = [:]
        var objectsSum: [String: Double] = [:]
        var objectsMax: [String: Double] = [:]
        var occupancySum: [String: Double] = [:]
        var occupancyMax: [String: Double] = [:]
        /// "zone|class" -> count
        var entries: [String: Int] = [:]
        var exits: [String: Int] = [:]
        /// "line|direction|class" -> count
        var crossings: [String: Int] = [:]
        /// zone -> dwell seconds of the visits that ended in the window
        var dwell: [String: [Double]] = [:]
        /// "rule|kind|severity" -> alerts started
        var alerts: [String: Int] = [:]
        var summaries: [String: Summary] = [:]
    }

    private var open: [Int: Window] = [:]
    private var watermark = -Double.infinity
    /// Windows before this index are closed.
    private var closedBefore = Int.min
    private var lastFrameTime: Double?

    init(source: String, seconds: Double, allowedLateness: Double, measurements: [String] = []) {
        self.source = source; self.seconds = seconds; self.allowedLateness = allowedLateness; self.measurements = measurements
    }

    private func index(_ time: Double) -> Int { Int((time / seconds).rounded(.down)) }

    /// Adds a message; `false` when it was late (its window had closed).
    mutating func add(_ message: Message) -> Bool {
        let time = message.time.seconds
        let i = index(time)
        guard i >= closedBefore else { return false }
        var window = open[i] ?? Window(start: Double(i) * seconds)
        switch message {
        case .frame(let frame): addFrame(frame, to: &window)
        case .event(let event): addEvent(event, to: &window)
        case .row: return true
        }
        open[i] = window
        watermark = max(watermark, time - allowedLateness)
        return true
    }

    private mutating func addFrame(_ frame: AnnotatedFrame, to w: inout Window) {
        let time = frame.info.time.seconds
        w.frames += 1
        // Time covered by frames: the gap to the previous one, at most a second (a stalled camera is not watched).
        if let last = lastFrameTime, time > last { w.monitoredSeconds += min(time - last, 1) }
        lastFrameTime = max(lastFrameTime ?? time, time)
        var perClass: [String: Double] = [:]
        for track in frame.tracks where track.state == .confirmed {
            w.uniqueTracks[track.label, default: []].insert(track.trackID)
            perClass[track.label, default: 0] += 1
        }
        for (label, n) in perClass {
            w.objectsSum[label, default: 0] += n
            w.objectsMax[label] = max(w.objectsMax[label] ?? 0, n)
        }
        for (name, value) in frame.measurements where name.hasPrefix("occupancy.") {
            let zone = String(name.dropFirst("occupancy.".count))
            w.occupancySum[zone, default: 0] += value
            w.occupancyMax[zone] = max(w.occupancyMax[zone] ?? 0, value)
        }
        for name in measurements {
            if let value = frame.measurements[name], value.isFinite { w.summaries[name, default: Summary()].add(value, at: time) }
        }
    }

    private mutating func addEvent(_ event: Event, to w: inout Window) {
        guard event.phase == .start else { return }
        let label = event.attributes["class"] ?? "object"
        switch event.kind {
        case "zone_enter": w.entries["\(event.zone ?? "-")|\(label)", default: 0] += 1
        case "zone_exit":
            w.exits["\(event.zone ?? "-")|\(label)", default: 0] += 1
            if let dwell = event.value { w.dwell[event.zone ?? "-", default: []].append(dwell) }
        case "line_cross":
            w.crossings["\(event.attributes["line"] ?? "-")|\(event.attributes["direction"] ?? "-")|\(label)", default: 0] += 1
        default:
            break
        }
        w.alerts["\(event.rule)|\(event.kind)|\(event.severity.rawValue)", default: 0] += 1
    }

    /// The rows of every window the watermark has passed (all of them when `flush`), oldest first.
    mutating func close(flush: Bool = false) -> [AggregateRow] {
        let ready = open.keys.filter { flush || Double($0 + 1) * seconds <= watermark }.sorted()
        var rows: [AggregateRow] = []
        for i in ready {
            rows += self.rows(open.removeValue(forKey: i)!)
            closedBefore = max(closedBefore, i + 1)
        }
        return rows
    }

    private func rows(_ w: Window) -> [AggregateRow] {
        var rows: [AggregateRow] = []
        func row(_ name: String, _ value: Double, _ dimensions: [String: String] = [:]) {
            rows.append(AggregateRow(windowStart: MediaTime(seconds: w.start), windowSeconds: seconds, sourceID: source,
                                     name: name, value: value, dimensions: dimensions))
        }
        func split(_ key: String) -> [String] { key.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        row("frames", Double(w.frames))
        row("monitored_seconds", w.monitoredSeconds)
        for label in w.uniqueTracks.keys.sorted() { row("unique_tracks", Double(w.uniqueTracks[label]!.count), ["class": label]) }
        for label in w.objectsSum.keys.sorted() {
            row("objects_mean", w.objectsSum[label]! / Double(max(1, w.frames)), ["class": label])
            row("objects_max", w.objectsMax[label]!, ["class": label])
        }
        for zone in w.occupancySum.keys.sorted() {
            row("occupancy_mean", w.occupancySum[zone]! / Double(max(1, w.frames)), ["zone": zone])
            row("occupancy_max", w.occupancyMax[zone]!, ["zone": zone])
        }
        for key in w.entries.keys.sorted() { let p = split(key); row("zone_entries", Double(w.entries[key]!), ["zone": p[0], "class": p[1]]) }
        for key in w.exits.keys.sorted() { let p = split(key); row("zone_exits", Double(w.exits[key]!), ["zone": p[0], "class": p[1]]) }
        for key in w.crossings.keys.sorted() {
            let p = split(key)
            row("line_crossings", Double(w.crossings[key]!), ["line": p[0], "direction": p[1], "class": p[2]])
        }
        for zone in w.dwell.keys.sorted() {
            let values = w.dwell[zone]!.sorted()
            row("dwell_mean", values.reduce(0, +) / Double(values.count), ["zone": zone])
            row("dwell_p95", Self.percentile(values, 0.95), ["zone": zone])
        }
        for key in w.alerts.keys.sorted() {
            let p = split(key)
            row("alerts", Double(w.alerts[key]!), ["rule": p[0], "kind": p[1], "severity": p[2]])
        }
        for name in w.summaries.keys.sorted() {
            let m = w.summaries[name]!
            row("measurement_mean", m.sum / Double(m.count), ["measurement": name])
            row("measurement_min", m.min, ["measurement": name])
            row("measurement_max", m.max, ["measurement": name])
            row("measurement_last", m.last, ["measurement": name])
        }
        return rows
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}
