public import struct Foundation.Date

/// Something that happened, worth a row in `events`: an alert, a stream gap, a rule firing.
public struct Event: Hashable, Sendable {
    public enum Severity: String, Sendable, Hashable, CaseIterable { case info, warning, critical }

    /// Where an alert is in its lifecycle. Every alert has one `start` and one `end`, with the same
    /// ``Event/alertID``; `update`s in between are optional and rate-limited. Events without a
    /// lifecycle (a stream gap, a count) have no phase.
    public enum Phase: String, Sendable, Hashable, CaseIterable { case start, update, end }

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
    /// The alert this event belongs to: stable per (rule, camera, track or zone, start time), the
    /// idempotency key of every output (a database row, a webhook delivery). `nil` without a lifecycle.
    public var alertID: String?
    public var phase: Phase?
    /// Media time the alert started (equal to ``time`` for `start`).
    public var startTime: MediaTime?
    /// The value that matters to the rule (dwell seconds, a count, the metric) and its peak so far.
    public var value: Double?
    public var peakValue: Double?
    /// Files that prove it (snapshots, crops, clips), as paths.
    public var evidence: [String]

    public init(time: MediaTime, wallTime: Date? = nil, sourceID: String, rule: String, kind: String,
                severity: Severity = .info, trackID: Int? = nil, globalID: Int? = nil, zone: String? = nil,
                message: String, attributes: [String: String] = [:], alertID: String? = nil, phase: Phase? = nil,
                startTime: MediaTime? = nil, value: Double? = nil, peakValue: Double? = nil, evidence: [String] = []) {
        self.time = time; self.wallTime = wallTime; self.sourceID = sourceID; self.rule = rule
        self.kind = kind; self.severity = severity; self.trackID = trackID; self.globalID = globalID
        self.zone = zone; self.message = message; self.attributes = attributes
        self.alertID = alertID; self.phase = phase; self.startTime = startTime; self.value = value
        self.peakValue = peakValue; self.evidence = evidence
    }

    /// Seconds since the alert started (`nil` without a lifecycle).
    public var duration: Double? { startTime.map { time.seconds - $0.seconds } }
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
