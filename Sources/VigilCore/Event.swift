public import struct Foundation.Date

/// Something that happened, worth a row in `events`: an alert, a stream gap, a rule firing.
public struct Event: Hashable, Sendable {
    public enum Severity: String, Sendable, Hashable, CaseIterable { case info, warning, critical }

    public var time: MediaTime
    public var wallTime: Date?
    public var sourceID: String
    /// The rule or component that produced the event (e.g. the stage id).
    public var rule: String
    /// What kind of event: `stream_gap`, `zone_enter`, `dwell`, ...
    public var kind: String
    public var severity: Severity
    public var trackID: Int?
    public var globalID: Int?
    public var zone: String?
    public var message: String
    public var attributes: [String: String]

    public init(time: MediaTime, wallTime: Date? = nil, sourceID: String, rule: String, kind: String,
                severity: Severity = .info, trackID: Int? = nil, globalID: Int? = nil, zone: String? = nil,
                message: String, attributes: [String: String] = [:]) {
        self.time = time; self.wallTime = wallTime; self.sourceID = sourceID; self.rule = rule
        self.kind = kind; self.severity = severity; self.trackID = trackID; self.globalID = globalID
        self.zone = zone; self.message = message; self.attributes = attributes
    }
}

/// One row of a windowed aggregate (counts per window, dwell statistics, ...).
public struct AggregateRow: Hashable, Sendable {
    public var windowStart: MediaTime
    public var windowSeconds: Double
    public var sourceID: String
    public var name: String
    public var value: Double
    public var dimensions: [String: String]

    public init(windowStart: MediaTime, windowSeconds: Double, sourceID: String, name: String, value: Double,
                dimensions: [String: String] = [:]) {
        self.windowStart = windowStart; self.windowSeconds = windowSeconds; self.sourceID = sourceID
        self.name = name; self.value = value; self.dimensions = dimensions
    }
}
