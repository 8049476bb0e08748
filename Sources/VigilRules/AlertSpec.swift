import Foundation
public import VigilCore

/// `type: alert`: rules over tracks and per-frame measurements, turned into alerts with a lifecycle
/// (`start` → `update` → `end`, one stable `alert_id`) and evidence. Frames in; frames (with each zone's
/// `occupancy.<zone>` measurement) and events out. Time is the frames' media time.
///
/// ```yaml
/// alerts:
///   type: alert
///   inputs: [ids]
///   subject: ${DRIVER_ID:-}       # optional: added to every event (attributes.subject)
///   measurements: [ear, mar, yaw] # optional: per-frame values copied into metric alerts' attributes (at their start)
///   time_origin: 2026-01-01T08:00:00Z   # media time 0 of files, for schedules (live: capture time; a job's time_origin wins)
///   forget_after: 2s              # a track unseen this long leaves its zones
///   zones:
///     walkway:
///       camera: plaza             # optional: default every camera
///       space: pixels             # pixels | map (metres, from reidentify's homography)
///       polygon: [[100, 300], [600, 300], [700, 576], [0, 576]]
///       anchor: bottom_center     # bottom_center | center | top_center
///       min_inside: 0.3s
///       min_outside: 0.5s
///   lines:
///     entrance:
///       points: [[300, 200], [300, 500]]   # `in` is from the left of the first->second point to its right
///       band: 5                   # dead band, in the line's space
///       min_side_time: 0.3s
///       extended: false
///   rules:
///     arrivals:  {kind: zone_enter, zone: walkway}          # also zone_exit
///     counting:  {kind: line_cross, line: entrance, direction: both}   # in | out | both
///     loitering: {kind: dwell, zone: walkway, for: 20s, max_gap: 2s, update_every: 5s}
///     crowding:  {kind: crowd, zone: walkway, count: 5, for: 3s, hysteresis: 1, clear_for: 2s}
///     unstaffed: {kind: absence, zone: walkway, for: 1m, schedule: {from: "08:00", to: "18:00", utc_offset: "+01:00"}}
///     drowsy:    {kind: metric, condition: "ear < 0.75 * ear_baseline", for: 1.5s, clear_for: 0.5s}
///     # every rule: enabled (default true; false checks the rule, then leaves it out), classes, camera,
///     # anchor, severity (info | warning | critical), cooldown (per subject), rule_cooldown (per camera),
///     # update_every, message ("{camera} {zone} {line} {track} {class}
///     # {direction} {duration} {value} {rule}")
///   evidence:                     # or `evidence: false`
///     path: out/evidence          # files go to <path>/<pipeline>/<alert id>.jpg (+ _crop.jpg)
///     crop: true
///     quality: 85
///   clip:                         # optional: a video clip around each alert's start
///     before: 5s
///     after: 5s
///     exact: false                # false: stream copy from the key frame at or before (.mkv); true: re-encoded H.264 (.mp4)
///     path: out/clips             # clips go to <path>/<pipeline>/<alert id>.mkv|.mp4
/// ```
public struct AlertSpec: StageSpec {
    public static let typeName = "alert"
    public static let role = StageRole.transform
    public static let summary = "alerts from zones, lines, dwell, crowds, absence and per-frame metrics, with evidence"

    public struct Evidence: Sendable {
        public var path: String
        public var crop: Bool
        public var quality: Int
    }

    /// A clip of `[t - before, t + after]` around each alert's start `t`, cut from the (file) source.
    public struct Clip: Sendable {
        public var before: Double
        public var after: Double
        public var exact: Bool
        public var path: String
    }

    public var configuration: AlertConfiguration
    public var evidence: Evidence?
    public var clip: Clip?

    public init(configuration: AlertConfiguration, evidence: Evidence? = nil) {
        self.configuration = configuration
        self.evidence = evidence
    }

    public init(config r: ConfigReader) {
        var configuration = AlertConfiguration()
        configuration.subject = r.string("subject").flatMap { $0.isEmpty ? nil : $0 }
        configuration.forgetAfter = r.duration("forget_after") ?? 2
        if let node = r.raw("time_origin") {
            if let text = node.scalar, let date = ISO8601DateFormatter().date(from: text) {
                configuration.timeOrigin = date.timeIntervalSince1970
            } else {
                r.error("invalid value for 'time_origin': expected an ISO 8601 time such as 2026-01-01T08:00:00Z",
                        at: node.location)
            }
        }
        configuration.measurements = r.stringList("measurements") ?? []
        configuration.zones = Self.entries(r, "zones").map { Self.readZone($0.id, $0.reader) }
        configuration.lines = Self.entries(r, "lines").map { Self.readLine($0.id, $0.reader) }
        let zoneIDs = configuration.zones.map(\.id), lineIDs = configuration.lines.map(\.id)
        configuration.rules = Self.entries(r, "rules").compactMap {
            Self.readRule($0.id, $0.reader, zones: zoneIDs, lines: lineIDs)
        }
        if !r.has("rules") { r.missing("rules") }
        self.configuration = configuration
        evidence = Evidence(path: "out/evidence", crop: true, quality: 85)
        if let node = r.raw("evidence") {
            if node.scalar.map({ ["false", "no", "off"].contains($0.lowercased()) }) == true {
                evidence = nil
            } else if node.entries != nil, let nested = r.nested("evidence") {
                evidence = Evidence(path: nested.string("path") ?? "out/evidence", crop: nested.bool("crop") ?? true,
                                    quality: nested.int("quality", in: 1...100) ?? 85)
                nested.finish()
            } else {
                r.error("'evidence' must be a mapping (path, crop, quality) or false", at: node.location)
            }
        }
        if let nested = r.nested("clip") {
            clip = Clip(before: nested.duration("before") ?? 5, after: nested.duration("after") ?? 5,
                        exact: nested.bool("exact") ?? false, path: nested.string("path") ?? "out/clips")
            nested.finish()
        }
        r.finish()
    }

    public var inputPorts: Set<PortType> { [.frames] }
    public var outputPort: PortType? { .frames }
    public var outputPorts: Set<PortType> { [.frames, .events] }
    /// Pixels only for evidence snapshots.
    public var frameRequirement: FrameRequirement? { evidence == nil ? nil : FrameRequirement(pixelFormat: .bgr24) }

    public func makeStage(context: StageContext) async throws -> any Stage {
        try AlertStage(spec: self, context: context)
    }
}
