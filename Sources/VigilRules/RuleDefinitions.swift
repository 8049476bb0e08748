public import VigilCore

/// A polygon of one camera (or of every camera when `camera` is `nil`) in pixels or map metres.
public struct ZoneDefinition: Sendable {
    public var id: String
    public var camera: String?
    public var space: Space
    public var polygon: Polygon
    /// Anchor for the zone's occupancy measurement (rules may pick their own).
    public var anchor: Anchor
    public var minInside: Double
    public var minOutside: Double

    public init(id: String, camera: String? = nil, space: Space = .pixels, polygon: Polygon, anchor: Anchor = .bottomCenter,
                minInside: Double = 0.3, minOutside: Double = 0.5) {
        self.id = id; self.camera = camera; self.space = space; self.polygon = polygon; self.anchor = anchor
        self.minInside = minInside; self.minOutside = minOutside
    }
}

/// A segment of one camera (or of every camera) that `line_cross` rules count crossings of.
public struct LineDefinition: Sendable {
    public var id: String
    public var camera: String?
    public var space: Space
    public var segment: Segment
    public var anchor: Anchor
    /// Dead band around the line, in the line's space (pixels or metres).
    public var band: Double
    public var minSideTime: Double
    /// Count crossings of the infinite line, not only of the segment.
    public var extended: Bool

    public init(id: String, camera: String? = nil, space: Space = .pixels, segment: Segment, anchor: Anchor = .bottomCenter,
                band: Double = 0, minSideTime: Double = 0.3, extended: Bool = false) {
        self.id = id; self.camera = camera; self.space = space; self.segment = segment; self.anchor = anchor
        self.band = band; self.minSideTime = minSideTime; self.extended = extended
    }
}

/// A daily window of local time, e.g. 22:00–06:00 (it may wrap past midnight).
public struct DailySchedule: Sendable, Hashable {
    /// Seconds after midnight.
    public var from: Double
    public var to: Double
    /// Local time = UTC + this many seconds.
    public var utcOffset: Double

    public init(from: Double, to: Double, utcOffset: Double = 0) { self.from = from; self.to = to; self.utcOffset = utcOffset }

    /// Whether `unixSeconds` falls inside the window.
    public func contains(unixSeconds: Double) -> Bool {
        let day = 86_400.0
        var t = (unixSeconds + utcOffset).truncatingRemainder(dividingBy: day)
        if t < 0 { t += day }
        return from <= to ? (t >= from && t < to) : (t >= from || t < to)
    }
}

/// One rule of an `alert` stage.
public struct RuleDefinition: Sendable {
    public enum Kind: Sendable {
        case zoneEnter(zone: String)
        case zoneExit(zone: String)
        case lineCross(line: String, direction: String)
        /// Continuous time in the zone of at least `seconds`, tolerating gaps up to `maxGap`.
        case dwell(zone: String, seconds: Double, maxGap: Double)
        /// At least `count` objects in the zone for `seconds`; clears below `count - hysteresis` for `clearFor`.
        case crowd(zone: String, count: Int, seconds: Double, hysteresis: Int, clearFor: Double)
        /// No object in the zone for `seconds` (inside `schedule`, when given).
        case absence(zone: String, seconds: Double, schedule: DailySchedule?, clearFor: Double)
        /// A condition over the frame's measurements held for `seconds`; ends after `clearFor` without it.
        case metric(expression: String, seconds: Double, clearFor: Double)

        public var name: String {
            switch self {
            case .zoneEnter: "zone_enter"
            case .zoneExit: "zone_exit"
            case .lineCross: "line_cross"
            case .dwell: "dwell"
            case .crowd: "crowd"
            case .absence: "absence"
            case .metric: "metric"
            }
        }

        /// Instantaneous rules fire a `start` and an `end` at the same time.
        var isInstantaneous: Bool {
            switch self {
            case .zoneEnter, .zoneExit, .lineCross: true
            default: false
            }
        }
    }

    public var id: String
    public var kind: Kind
    /// Classes that count (`nil`: every class).
    public var classes: Set<String>?
    /// The camera it applies to (`nil`: every camera of its zone or line, or every camera).
    public var camera: String?
    /// `nil`: the zone's or line's anchor.
    public var anchor: Anchor?
    public var severity: Event.Severity
    /// After an alert of this rule for one subject ends, none starts for the same subject for this long.
    public var cooldown: Double
    /// After an alert of this rule starts on a camera, no other starts there for this long.
    public var ruleCooldown: Double
    /// Seconds between `update` events of an active alert; `nil` sends none.
    public var updateEvery: Double?
    /// `{camera} {zone} {line} {track} {class} {direction} {duration} {value} {rule}`: `{duration}` is the
    /// alert's own duration so far, `{value}` the rule's measure (dwell or empty seconds, a count, the metric).
    public var message: String

    public init(id: String, kind: Kind, classes: Set<String>? = nil, camera: String? = nil, anchor: Anchor? = nil,
                severity: Event.Severity = .warning, cooldown: Double = 0, ruleCooldown: Double = 0,
                updateEvery: Double? = nil, message: String? = nil) {
        self.id = id; self.kind = kind; self.classes = classes; self.camera = camera; self.anchor = anchor
        self.severity = severity; self.cooldown = cooldown; self.ruleCooldown = ruleCooldown
        self.updateEvery = updateEvery; self.message = message ?? Self.defaultMessage(kind)
    }

    static func defaultMessage(_ kind: Kind) -> String {
        switch kind {
        case .zoneEnter: "{class} {track} entered {zone} on {camera}"
        case .zoneExit: "{class} {track} left {zone} on {camera}"
        case .lineCross: "{class} {track} crossed {line} ({direction}) on {camera}"
        case .dwell: "{class} {track} has been in {zone} on {camera} for {value} s"
        case .crowd: "{value} objects in {zone} on {camera}"
        case .absence: "nobody in {zone} on {camera} for {value} s"
        case .metric: "{rule} on {camera}: {value}"
        }
    }
}

/// Everything an `alert` stage decides with.
public struct AlertConfiguration: Sendable {
    public var zones: [ZoneDefinition]
    public var lines: [LineDefinition]
    public var rules: [RuleDefinition]
    /// A track unseen for this long is gone: it leaves its zones and its rule state is dropped.
    public var forgetAfter: Double
    /// Unix seconds of media time 0 for files (schedules read the time of day from it); live frames use
    /// their capture time.
    public var timeOrigin: Double
    /// Unix seconds of media time 0 per source, as the job declares it (recorded footage), over ``timeOrigin``.
    public var timeOrigins: [String: Double] = [:]
    /// Added to every event (`attributes.subject`): the driver or site the stream belongs to.
    public var subject: String?
    /// Per-frame measurements (e.g. `ear`, `mar`, `yaw`) copied into the attributes of metric alerts: their
    /// values on the frame the alert started on, kept as it goes on, so an alert carries what it measured.
    public var measurements: [String] = []

    public init(zones: [ZoneDefinition] = [], lines: [LineDefinition] = [], rules: [RuleDefinition] = [],
                forgetAfter: Double = 2, timeOrigin: Double = 0, subject: String? = nil) {
        self.zones = zones; self.lines = lines; self.rules = rules; self.forgetAfter = forgetAfter
        self.timeOrigin = timeOrigin; self.subject = subject
    }
}
