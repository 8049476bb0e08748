public import VigilCore
public import struct Foundation.Date

/// The rows of one batch, already encoded for binary COPY, plus what the batch's transaction needs besides:
/// per-track summaries, the days it touches (partitions) and its time range.
public struct SinkBatch: Sendable {
    public struct TrackKey: Hashable, Sendable { var camera: Int; var track: Int }
    public struct TrackSummary: Sendable {
        var globalID: Int?
        var classID: Int
        var label: String
        var first: Int64
        var last: Int64
        var points: Int
        var pathLength: Double
        var lastX: Double
        var lastY: Double
    }

    public var trackPoints = CopyBinaryEncoder()
    public var detections = CopyBinaryEncoder(capacity: 256)
    public var events = CopyBinaryEncoder(capacity: 256)
    public var aggregates = CopyBinaryEncoder(capacity: 256)
    public var tracks: [TrackKey: TrackSummary] = [:]
    /// The `update`s and `end`s of alerts, applied to the row of their `start` after the batch's COPY.
    public var alertChanges: [AlertChange] = []
    /// Days covered by the rows (each needs a partition).
    public var days: Set<UTCDay> {
        guard minTime <= maxTime else { return [] }
        let first = UTCDay(microseconds: minTime), last = UTCDay(microseconds: maxTime)
        return Set((first.daysSinceEpoch...last.daysSinceEpoch).map(UTCDay.init(daysSinceEpoch:)))
    }
    public var frames = 0
    /// State snapshots the batch's frames carried (``StageSnapshot``), committed with them.
    public var snapshots: [StageSnapshot] = []
    /// Range of `time` (Unix microseconds) of the rows.
    public var minTime: Int64 = .max
    public var maxTime: Int64 = .min

    public init() {}

    /// Time range of the batch's new event rows (for the live ``LiveChannels/events`` notification).
    public var eventMinTime: Int64 = .max
    public var eventMaxTime: Int64 = .min

    mutating func touch(_ micros: Int64) {
        if micros < minTime { minTime = micros }
        if micros > maxTime { maxTime = micros }
    }

    public static let trackPointColumns = ["time", "camera_id", "run_id", "frame_index", "media_time", "track_id", "global_id",
                                           "class_id", "label", "state", "x", "y", "w", "h", "score", "map_x", "map_y"]
    public static let detectionColumns = ["time", "camera_id", "run_id", "frame_index", "media_time", "class_id", "label",
                                          "score", "x", "y", "w", "h"]
    public static let eventColumns = ["time", "camera_id", "run_id", "media_time", "rule", "kind", "severity", "track_id",
                                      "global_id", "zone", "message", "attributes", "evidence", "alert_id", "phase",
                                      "ended_at", "end_media_time", "duration", "value", "peak_value"]

    /// An alert's later state, for the row of its start (found by alert id and start time).
    public struct AlertChange: Sendable {
        var camera: Int
        var alertID: String
        var startMicros: Int64
        var phase: String
        var atMicros: Int64
        var mediaTime: Double
        var duration: Double?
        var value: Double?
        var peak: Double?
        var message: String
        var attributes: String
        var evidence: [String]
    }
    public static let aggregateColumns = ["time", "camera_id", "run_id", "window_seconds", "name", "value", "dimensions"]
}

/// Turns messages into rows of a ``SinkBatch``: the wall-clock time of each row (capture time, or the
/// time origin of its source — else of the run — plus the media time), the camera id of its source, the
/// track path lengths.
public struct RowBuilder: Sendable {
    public var runID: Int
    /// Unix microseconds of media time 0 for sources without capture times or an origin of their own.
    public var originMicros: Int64
    /// Unix microseconds of media time 0 per source id (recorded footage), over ``originMicros``.
    public var sourceOriginMicros: [String: Int64] = [:]
    public var writeDetections: Bool
    /// Camera id per source id.
    public var cameras: [String: Int]
    /// Last foot point per track, to accumulate path length across batches.
    var lastFoot: [SinkBatch.TrackKey: (x: Double, y: Double)] = [:]

    public init(runID: Int, origin: Foundation.Date, writeDetections: Bool, cameras: [String: Int]) {
        self.runID = runID
        self.originMicros = Int64((origin.timeIntervalSince1970 * 1_000_000).rounded())
        self.writeDetections = writeDetections
        self.cameras = cameras
    }

    /// Gives sources their own time of media time 0 (a recorded file's time).
    public mutating func setOrigins(_ origins: [String: Foundation.Date]) {
        sourceOriginMicros = origins.mapValues { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) }
    }

    /// Continue path lengths of a resumed run from the tracks' stored last points.
    public mutating func seedLastPoints(_ points: [(camera: Int, track: Int, x: Double, y: Double)]) {
        for p in points { lastFoot[SinkBatch.TrackKey(camera: p.camera, track: p.track)] = (p.x, p.y) }
    }

    func micros(media: MediaTime, capture: Date?, source: String) -> Int64 {
        if let capture { return Int64((capture.timeIntervalSince1970 * 1_000_000).rounded()) }
        // No lookup per message unless the job gave sources origins of their own.
        let origin = sourceOriginMicros.isEmpty ? originMicros : (sourceOriginMicros[source] ?? originMicros)
        return origin + Int64((media.seconds * 1_000_000).rounded())
    }

    /// How many rows `message` becomes.
    public func rowCount(_ message: Message) -> Int {
        switch message {
        case .frame(let f): f.tracks.count + (writeDetections ? f.detections.count : 0)
        case .event, .row: 1
        }
    }

    /// Appends the rows of `message`; `camera` is the id of its source.
    public mutating func append(_ message: Message, camera: Int, to batch: inout SinkBatch) {
        switch message {
        case .frame(let frame):
            let t = micros(media: frame.info.time, capture: frame.info.captureTime, source: frame.info.sourceID)
            batch.frames += 1
            if !frame.snapshots.isEmpty { batch.snapshots += frame.snapshots }
            if !frame.tracks.isEmpty || (writeDetections && !frame.detections.isEmpty) { batch.touch(t) }
            for p in frame.tracks {
                Self.writeTrackPoint(p, frame: frame, micros: t, camera: camera, run: runID, into: &batch.trackPoints)
                summarize(p, camera: camera, micros: t, into: &batch)
            }
            if writeDetections {
                for d in frame.detections {
                    Self.writeDetection(d, frame: frame, micros: t, camera: camera, run: runID, into: &batch.detections)
                }
            }
        case .event(let event):
            let t = micros(media: event.time, capture: event.wallTime, source: event.sourceID)
            batch.touch(t)
            if let id = event.alertID, let phase = event.phase, phase != .start {
                let start = micros(media: event.startTime ?? event.time, capture: nil, source: event.sourceID)
                let attributes = JSONText.object(event.attributes)
                batch.alertChanges.append(SinkBatch.AlertChange(
                    camera: camera, alertID: id, startMicros: event.wallTime == nil ? start : t, phase: phase.rawValue,
                    atMicros: t, mediaTime: event.time.seconds, duration: event.duration, value: event.value,
                    peak: event.peakValue, message: event.message, attributes: attributes, evidence: event.evidence))
            } else {
                batch.eventMinTime = min(batch.eventMinTime, t)
                batch.eventMaxTime = max(batch.eventMaxTime, t)
                Self.writeEvent(event, micros: t, camera: camera, run: runID, into: &batch.events)
            }
        case .row(let row):
            let t = micros(media: row.windowStart, capture: nil, source: row.sourceID)
            batch.touch(t)
            Self.writeAggregate(row, micros: t, camera: camera, run: runID, into: &batch.aggregates)
        }
    }

    // Column types: see Migrations/v0001_schema.sql (binary COPY takes each type's exact width).

    static func writeTrackPoint(_ p: TrackPoint, frame: AnnotatedFrame, micros t: Int64, camera: Int, run: Int,
                                into e: inout CopyBinaryEncoder) {
        e.timestamp(microseconds: t); e.int32(camera); e.int64(run); e.int32(frame.info.index)
        e.float8(frame.info.time.seconds); e.int32(p.trackID); e.int32(p.globalID); e.int16(p.classID)
        e.text(p.label); e.text(p.state.rawValue)
        e.float8(p.box.x); e.float8(p.box.y); e.float8(p.box.width); e.float8(p.box.height)
        e.float8(p.score); e.float8(p.mapX); e.float8(p.mapY)
        e.endRow()
    }

    static func writeDetection(_ d: Detection, frame: AnnotatedFrame, micros t: Int64, camera: Int, run: Int,
                               into e: inout CopyBinaryEncoder) {
        e.timestamp(microseconds: t); e.int32(camera); e.int64(run); e.int32(frame.info.index)
        e.float8(frame.info.time.seconds); e.int16(d.classID); e.text(d.label); e.float8(d.score)
        e.float8(d.box.x); e.float8(d.box.y); e.float8(d.box.width); e.float8(d.box.height)
        e.endRow()
    }

    static func writeEvent(_ event: Event, micros t: Int64, camera: Int, run: Int, into e: inout CopyBinaryEncoder) {
        e.timestamp(microseconds: t); e.int32(camera); e.int64(run); e.float8(event.time.seconds)
        e.text(event.rule); e.text(event.kind); e.text(event.severity.rawValue); e.int32(event.trackID)
        e.int32(event.globalID); e.text(event.zone); e.text(event.message)
        e.jsonObject(event.attributes); e.textArray(event.evidence)
        e.text(event.alertID); e.text(event.phase?.rawValue)
        e.null(); e.null()                                   // ended_at, end_media_time: set by the alert's end
        e.float8(event.alertID == nil ? nil : 0.0); e.float8(event.value); e.float8(event.peakValue)
        e.endRow()
    }

    static func writeAggregate(_ row: AggregateRow, micros t: Int64, camera: Int, run: Int, into e: inout CopyBinaryEncoder) {
        e.timestamp(microseconds: t); e.int32(camera); e.int64(run); e.float8(row.windowSeconds)
        e.text(row.name); e.float8(row.value); e.jsonObject(row.dimensions)
        e.endRow()
    }

    private mutating func summarize(_ p: TrackPoint, camera: Int, micros t: Int64, into batch: inout SinkBatch) {
        let key = SinkBatch.TrackKey(camera: camera, track: p.trackID)
        let foot = p.box.footPoint
        var step = 0.0
        if let last = lastFoot[key] { step = ((foot.x - last.x) * (foot.x - last.x) + (foot.y - last.y) * (foot.y - last.y)).squareRoot() }
        lastFoot[key] = (foot.x, foot.y)
        if var s = batch.tracks[key] {
            s.first = min(s.first, t); s.last = max(s.last, t); s.points += 1; s.pathLength += step
            s.lastX = foot.x; s.lastY = foot.y
            if let g = p.globalID { s.globalID = g }
            batch.tracks[key] = s
        } else {
            batch.tracks[key] = SinkBatch.TrackSummary(globalID: p.globalID, classID: p.classID, label: p.label, first: t, last: t,
                                                       points: 1, pathLength: step, lastX: foot.x, lastY: foot.y)
        }
    }
}
