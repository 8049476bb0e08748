public import VigilCore

/// `type: aggregate`: event-time tumbling windows per camera over the frames and events of an `alert`
/// stage (or any frames), emitted as rows once each window closes.
///
/// ```yaml
/// per_minute:
///   type: aggregate
///   inputs: [alerts]
///   window: 1m                # 1m (default), 1h, 1d, or any duration
///   allowed_lateness: 5s      # how late a frame of a fan-in may come and still count
///   subject: ${DRIVER_ID:-}   # optional: a `subject` dimension on every row (daily statistics per subject)
///   measurements: [ear, mar]  # optional: per-frame measurements summarised per window
/// ```
///
/// Rows per window and camera (`name {dimensions}`): `frames`, `monitored_seconds` (time covered by
/// frames, gaps over 1 s not counted), `unique_tracks {class}`, `objects_mean`/`objects_max {class}`
/// (confirmed tracks per frame), `occupancy_mean`/`occupancy_max {zone}` (from the alert stage's
/// `occupancy.<zone>`), `zone_entries`/`zone_exits {zone, class}`, `line_crossings {line, direction,
/// class}` (from `zone_enter`, `zone_exit`, `line_cross` alerts), `dwell_mean`/`dwell_p95 {zone}`
/// (visits that ended in the window), `alerts {rule, kind, severity}` (alerts started), and for each of
/// `measurements` over the frames that carried it `measurement_mean`/`_min`/`_max`/`_last {measurement}`. A message later
/// than `allowed_lateness` behind its camera's newest is counted in `vigil_stage_dropped_total`.
public struct AggregateSpec: StageSpec {
    public static let typeName = "aggregate"
    public static let role = StageRole.transform
    public static let summary = "windowed statistics per camera, zone, line and class: counts, occupancy, dwell, alerts"

    public var windowSeconds: Double
    public var allowedLateness: Double
    public var subject: String?
    public var measurements: [String]

    public init(windowSeconds: Double = 60, allowedLateness: Double = 5, subject: String? = nil, measurements: [String] = []) {
        self.windowSeconds = windowSeconds
        self.allowedLateness = allowedLateness
        self.subject = subject
        self.measurements = measurements
    }

    public init(config r: ConfigReader) {
        windowSeconds = r.duration("window") ?? 60
        if windowSeconds <= 0 { r.error("'window' must be longer than 0 s", at: r.raw("window")?.location) }
        allowedLateness = r.duration("allowed_lateness") ?? 5
        subject = r.string("subject").flatMap { $0.isEmpty ? nil : $0 }
        measurements = r.stringList("measurements") ?? []
        r.finish()
    }

    public var inputPorts: Set<PortType> { [.frames, .events] }
    public var outputPort: PortType? { .rows }

    public func makeStage(context: StageContext) async throws -> any Stage {
        AggregateStage(spec: self, countDropped: context.countDropped)
    }
}
