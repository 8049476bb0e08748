import Foundation
import VigilCore
import VigilStore

/// What is happening now on the caller's cameras (tracks seen within a window) and what happened over a
/// period (tracks, alerts, risk). Every query joins its rows' cameras with the caller's ``Scope``.
struct AnalyticsRepository: Sendable {
    let database: Database

    struct CameraNow: Codable, Sendable {
        var cameraId: Int
        var name: String
        var activeTracks: Int
        var activePersons: Int
        var lastSeen: Date?
        /// Frames per second of the camera's running processing job, if any.
        var framesPerSecond: Double?
    }

    struct ActiveTrack: Codable, Sendable {
        var cameraId: Int
        var camera: String
        var trackId: Int
        var globalId: Int?
        var label: String
        var firstSeen: Date
        var lastSeen: Date
        var bboxXyxy: [Double]
        var confidence: Double
        var mapCoords: [Double]?
    }

    /// `c.id = ANY(cameras)` when the caller narrowed the cameras.
    private static func cameraFilter(_ cameras: [Int]?, _ sql: inout SQLBuilder) -> String {
        guard let cameras, !cameras.isEmpty else { return "TRUE" }
        return "c.id = ANY(\(sql.bind(.array(cameras)))::int4[])"
    }

    /// Per visible camera: tracks and persons seen within `window` seconds, and the processing rate.
    func cameras(window: Double, cameras: [Int]?, scope: Scope) async throws -> [CameraNow] {
        var sql = SQLBuilder()
        let since = sql.bind(Date().addingTimeInterval(-window))
        let text = """
            SELECT c.id, c.name, coalesce(a.tracks, 0), coalesce(a.persons, 0), a.last_seen, p.fps
            FROM cameras c
            LEFT JOIN LATERAL (
                SELECT count(DISTINCT (tp.run_id, tp.track_id)) AS tracks,
                       count(DISTINCT (tp.run_id, tp.track_id)) FILTER (WHERE tp.label = 'person') AS persons, max(tp.time) AS last_seen
                FROM track_points tp WHERE tp.camera_id = c.id AND tp.time >= \(since)) a ON true
            LEFT JOIN LATERAL (
                SELECT (r.frames / greatest(extract(epoch FROM now() - r.started_at), 0.001))::float8 AS fps
                FROM processing_task_cameras tc JOIN jobs j ON j.id = tc.job_id AND j.state = 'running'
                JOIN runs r ON r.job_id = j.id AND r.status = 'running'
                WHERE tc.camera_id = c.id ORDER BY r.id DESC LIMIT 1) p ON true
            WHERE \(scope.cameras("c", &sql)) AND \(Self.cameraFilter(cameras, &sql))
            ORDER BY c.id LIMIT 1000
            """
        return try await database.query(text, binding: sql.binds, doing: "reading real-time metrics").map { values in
            let r = Row(values)
            return CameraNow(cameraId: try r.int(0), name: try r.text(1), activeTracks: try r.int(2), activePersons: try r.int(3),
                             lastSeen: r.optionalTime(4), framesPerSecond: r.optionalDouble(5))
        }
    }

    /// The latest position of each track of `labels` seen within `window` seconds on visible cameras.
    func activeTracks(window: Double, cameras: [Int]?, labels: [String], limit: Int, scope: Scope) async throws -> [ActiveTrack] {
        var sql = SQLBuilder()
        let since = sql.bind(Date().addingTimeInterval(-window))
        let text = """
            SELECT * FROM (
                SELECT DISTINCT ON (tp.camera_id, tp.run_id, tp.track_id)
                       tp.camera_id, c.name, tp.track_id, tp.global_id, tp.label, tp.time, tp.x, tp.y, tp.w, tp.h, tp.score,
                       tp.map_x, tp.map_y,
                       (SELECT min(f.time) FROM track_points f WHERE f.camera_id = tp.camera_id AND f.run_id = tp.run_id
                          AND f.track_id = tp.track_id AND f.time >= \(since)) AS first_seen
                FROM track_points tp JOIN cameras c ON c.id = tp.camera_id
                WHERE tp.time >= \(since) AND tp.label = ANY(\(sql.bind(.array(labels)))::text[])
                  AND \(scope.cameras("c", &sql)) AND \(Self.cameraFilter(cameras, &sql))
                ORDER BY tp.camera_id, tp.run_id, tp.track_id, tp.time DESC
            ) latest ORDER BY time DESC, camera_id, track_id LIMIT \(sql.bind(limit))
            """
        return try await database.query(text, binding: sql.binds, doing: "reading active tracks").map { values in
            let r = Row(values)
            let x = try r.double(6), y = try r.double(7), w = try r.double(8), h = try r.double(9)
            let map = r.optionalDouble(11).flatMap { mx in r.optionalDouble(12).map { [mx, $0] } }
            let last = try r.time(5)
            return ActiveTrack(cameraId: try r.int(0), camera: try r.text(1), trackId: try r.int(2), globalId: r.optionalInt(3),
                               label: try r.text(4), firstSeen: r.optionalTime(13) ?? last, lastSeen: last,
                               bboxXyxy: [x, y, x + w, y + h], confidence: min(1, max(0, try r.double(10))), mapCoords: map)
        }
    }

    // MARK: Periods

    enum Period: String, Sendable, CaseIterable {
        case day, week, month, year

        /// The bucket of the period's series (`date_trunc` unit).
        var bucket: String {
            switch self {
            case .day: "hour"
            case .week, .month: "day"
            case .year: "month"
            }
        }

        /// The UTC range of the period holding `date`: its day, ISO week (from Monday), month or year.
        func range(containing date: Date) -> (start: Date, end: Date) {
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let component: Calendar.Component = switch self {
            case .day: .day
            case .week: .weekOfYear
            case .month: .month
            case .year: .year
            }
            let interval = calendar.dateInterval(of: component, for: date)!
            return (interval.start, interval.end)
        }
    }

    struct Bucket: Codable, Sendable {
        var bucket: Date
        /// Tracks that started in the bucket, by label.
        var tracks: [String: Int]
        var alerts: Int
        var events: Int
    }

    struct AlertCount: Codable, Sendable {
        var rule: String
        var kind: String
        var count: Int
        var critical: Int
    }

    struct Risk: Codable, Sendable {
        var cameraId: Int
        var camera: String
        var subject: String
        var days: Int
        var monitoredSeconds: Double
        var alerts: Int
        var meanRiskScore: Double
        var maxRiskScore: Double
    }

    struct SystemStatistics: Codable, Sendable {
        var cameras: Int
        var camerasWithData: Int
        var runs: Int
        var frames: Int
        var failedRuns: Int
    }

    struct PeriodReport: Codable, Sendable {
        var period: String
        var from: Date
        var to: Date
        var bucket: String
        var countsOverTime: [Bucket]
        var severityBreakdown: [String: Int]
        var hourlyDistribution: [Int]
        var mostCommonAlerts: [AlertCount]
        var riskScores: [Risk]
        var system: SystemStatistics
    }

    func period(_ period: Period, containing date: Date, cameras: [Int]?, scope: Scope) async throws -> PeriodReport {
        let (start, end) = period.range(containing: date)
        let unit = period.bucket
        // Tracks that started in each bucket, by label (one row per track: cheap for any period).
        var sql = SQLBuilder()
        var text = """
            SELECT date_trunc('\(unit)', t.first_seen AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', t.label, count(*)
            FROM tracks t JOIN cameras c ON c.id = t.camera_id
            WHERE t.first_seen >= \(sql.bind(start)) AND t.first_seen < \(sql.bind(end))
              AND \(scope.cameras("c", &sql)) AND \(Self.cameraFilter(cameras, &sql))
            GROUP BY 1, 2 ORDER BY 1, 2
            """
        var buckets: [Date: Bucket] = [:]
        for values in try await database.query(text, binding: sql.binds, doing: "counting tracks over a period") {
            let r = Row(values)
            let at = try r.time(0)
            buckets[at, default: Bucket(bucket: at, tracks: [:], alerts: 0, events: 0)].tracks[try r.text(1)] = try r.int(2)
        }
        // Events (alerts are the ones with a lifecycle, one row each) by bucket, severity, hour and rule.
        sql = SQLBuilder()
        let eventScope = """
            FROM events e JOIN cameras c ON c.id = e.camera_id
            WHERE e.time >= \(sql.bind(start)) AND e.time < \(sql.bind(end))
              AND \(scope.cameras("c", &sql)) AND \(Self.cameraFilter(cameras, &sql))
            """
        let binds = sql.binds
        text = """
            SELECT date_trunc('\(unit)', e.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', count(*) FILTER (WHERE e.alert_id IS NOT NULL), count(*)
            \(eventScope) GROUP BY 1 ORDER BY 1
            """
        for values in try await database.query(text, binding: binds, doing: "counting events over a period") {
            let r = Row(values)
            let at = try r.time(0)
            buckets[at, default: Bucket(bucket: at, tracks: [:], alerts: 0, events: 0)].alerts = try r.int(1)
            buckets[at]?.events = try r.int(2)
        }
        var severity = ["info": 0, "warning": 0, "critical": 0]
        for values in try await database.query("SELECT e.severity, count(*) \(eventScope) GROUP BY 1", binding: binds,
                                                 doing: "counting events by severity") {
            severity[try Row(values).text(0)] = try Row(values).int(1)
        }
        var hourly = [Int](repeating: 0, count: 24)
        for values in try await database.query("SELECT extract(hour FROM e.time AT TIME ZONE 'UTC')::int, count(*) \(eventScope) GROUP BY 1",
                                                 binding: binds, doing: "counting events by hour") {
            let r = Row(values)
            let hour = try r.int(0)
            if hourly.indices.contains(hour) { hourly[hour] = try r.int(1) }
        }
        let common = try await database.query("""
            SELECT e.rule, e.kind, count(*), count(*) FILTER (WHERE e.severity = 'critical') \(eventScope) AND e.alert_id IS NOT NULL
            GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 10
            """, binding: binds, doing: "finding the most common alerts").map { values in
            let r = Row(values)
            return AlertCount(rule: try r.text(0), kind: try r.text(1), count: try r.int(2), critical: try r.int(3))
        }
        // Risk from the daily statistics of the alert stage.
        sql = SQLBuilder()
        text = """
            SELECT d.camera_id, c.name, d.subject, count(*), sum(d.monitored_seconds)::float8, sum(d.alerts)::int8,
                   avg(d.risk_score)::float8, max(d.risk_score)::float8
            FROM daily_statistics d JOIN cameras c ON c.id = d.camera_id
            WHERE d.day >= (\(sql.bind(start))::timestamptz AT TIME ZONE 'UTC')::date AND d.day < (\(sql.bind(end))::timestamptz AT TIME ZONE 'UTC')::date
              AND \(scope.cameras("c", &sql)) AND \(Self.cameraFilter(cameras, &sql))
            GROUP BY 1, 2, 3 ORDER BY 8 DESC, 1, 3 LIMIT 50
            """
        let risks = try await database.query(text, binding: sql.binds, doing: "reading risk scores").map { values in
            let r = Row(values)
            return Risk(cameraId: try r.int(0), camera: try r.text(1), subject: try r.text(2), days: try r.int(3),
                        monitoredSeconds: try r.double(4), alerts: try r.int(5), meanRiskScore: try r.double(6), maxRiskScore: try r.double(7))
        }
        // The system: visible cameras, those with data, and the runs over them that overlap the period.
        sql = SQLBuilder()
        text = """
            WITH visible AS (SELECT c.id FROM cameras c WHERE \(scope.cameras("c", &sql)) AND \(Self.cameraFilter(cameras, &sql))),
            period_runs AS (
                SELECT DISTINCT r.id, r.frames, r.status FROM runs r JOIN tracks t ON t.run_id = r.id JOIN visible v ON v.id = t.camera_id
                WHERE r.started_at < \(sql.bind(end)) AND coalesce(r.ended_at, now()) >= \(sql.bind(start)))
            SELECT (SELECT count(*) FROM visible),
                   (SELECT count(DISTINCT t.camera_id) FROM tracks t JOIN visible v ON v.id = t.camera_id
                    WHERE t.first_seen < \(sql.bind(end)) AND t.last_seen >= \(sql.bind(start))),
                   (SELECT count(*) FROM period_runs), (SELECT coalesce(sum(frames), 0)::int8 FROM period_runs),
                   (SELECT count(*) FROM period_runs WHERE status = 'failed')
            """
        let systemRow = Row(try await database.query(text, binding: sql.binds, doing: "reading system statistics").first ?? [])
        let system = SystemStatistics(cameras: try systemRow.int(0), camerasWithData: try systemRow.int(1), runs: try systemRow.int(2),
                                      frames: try systemRow.int(3), failedRuns: try systemRow.int(4))
        return PeriodReport(period: period.rawValue, from: start, to: end, bucket: unit,
                            countsOverTime: buckets.values.sorted { $0.bucket < $1.bucket }, severityBreakdown: severity,
                            hourlyDistribution: hourly, mostCommonAlerts: common, riskScores: risks, system: system)
    }
}
