import Foundation
import VigilCore
import VigilStore

/// Drivers' daily statistics, period analytics and the supervisors' report, from `daily_statistics`
/// (refreshed from the events and aggregates of the drivers' pipelines and their apps' alerts). A
/// driver's rows are those whose subject is the driver and whose camera is one of their sessions'; every
/// query holds the caller's driver scope.
struct DriverAnalyticsRepository: Sendable {
    let database: Database

    struct Day: Codable, Sendable {
        var day: String
        var monitoredSeconds: Double
        var alerts: Int
        var info: Int
        var warning: Int
        var critical: Int
        var byRule: [String: Int]
        var byHour: [Int]
        var alertsPerHour: Double
        var riskScore: Double
    }

    struct RuleCount: Codable, Sendable {
        var rule: String
        var count: Int
    }

    struct Analytics: Codable, Sendable {
        var driverId: UUID
        var period: String
        var from: Date
        var to: Date
        var sessions: Int
        var monitoredSeconds: Double
        var alerts: Int
        var severityBreakdown: [String: Int]
        var hourlyDistribution: [Int]
        /// The daily rows' risk formula over the whole period's counts and monitored time.
        var riskScore: Double
        var mostCommonAlerts: [RuleCount]
        var days: [Day]
    }

    struct DriverSummary: Codable, Sendable {
        var driverId: UUID
        var driver: String
        var sessions: Int
        var monitoredSeconds: Double
        var alerts: Int
        var critical: Int
        var riskScore: Double
        var mostCommonAlert: String?
    }

    struct Report: Codable, Sendable {
        var period: String
        var from: Date
        var to: Date
        /// Highest risk first.
        var drivers: [DriverSummary]
    }

    /// `d` (daily_statistics) rows of driver `u` (a users row).
    private static func driverRows(_ d: String, _ u: String) -> String {
        "\(d).subject = \(u).id::text AND \(d).camera_id IN (SELECT ds.camera_id FROM dms_sessions ds WHERE ds.driver_id = \(u).id)"
    }

    /// The driver's days in [from, to) (UTC dates), oldest first.
    func days(driver: UUID, from: Date, to: Date, scope: Scope) async throws -> [Day] {
        var sql = SQLBuilder()
        let text = """
            SELECT d.day::text, sum(d.monitored_seconds)::float8, sum(d.alerts)::int8, sum(d.info)::int8, sum(d.warning)::int8,
                   sum(d.critical)::int8, jsonb_agg(d.by_rule)::text, jsonb_agg(to_jsonb(d.by_hour))::text,
                   vigil_risk_score(sum(d.info), sum(d.warning), sum(d.critical), sum(d.monitored_seconds))
            FROM daily_statistics d JOIN users u ON \(Self.driverRows("d", "u"))
            WHERE u.id = \(sql.bind(driver)) AND \(scope.drivers("u", &sql, driverColumn: "id"))
              AND d.day >= (\(sql.bind(from))::timestamptz AT TIME ZONE 'UTC')::date AND d.day < (\(sql.bind(to))::timestamptz AT TIME ZONE 'UTC')::date
            GROUP BY d.day ORDER BY d.day
            """
        return try await database.query(text, binding: sql.binds, doing: "reading a driver's daily statistics").map { values in
            let r = Row(values)
            let seconds = try r.double(1), alerts = try r.int(2)
            return Day(day: try r.text(0), monitoredSeconds: seconds, alerts: alerts, info: try r.int(3), warning: try r.int(4),
                       critical: try r.int(5), byRule: Self.sumObjects(r.json(6)), byHour: Self.sumArrays(r.json(7), count: 24),
                       alertsPerHour: seconds > 0 ? Double(alerts) / (seconds / 3600) : 0, riskScore: try r.double(8))
        }
    }

    func analytics(driver: UUID, period: AnalyticsRepository.Period, containing date: Date, scope: Scope) async throws -> Analytics {
        let (start, end) = period.range(containing: date)
        let days = try await days(driver: driver, from: start, to: end, scope: scope)
        var sql = SQLBuilder()
        let text = """
            SELECT count(*) FROM dms_sessions s WHERE s.driver_id = \(sql.bind(driver)) AND \(scope.drivers("s", &sql))
              AND s.started_at >= \(sql.bind(start)) AND s.started_at < \(sql.bind(end))
            """
        let sessions = try await database.query(text, binding: sql.binds, doing: "counting a driver's sessions").first?.first?.int ?? 0
        let info = days.reduce(0) { $0 + $1.info }, warning = days.reduce(0) { $0 + $1.warning }, critical = days.reduce(0) { $0 + $1.critical }
        let seconds = days.reduce(0) { $0 + $1.monitoredSeconds }
        let risk = try await database.query("SELECT vigil_risk_score($1::float8, $2::float8, $3::float8, $4::float8)",
                                            binding: [.double(Double(info)), .double(Double(warning)), .double(Double(critical)), .double(seconds)],
                                            doing: "scoring a driver's period").first?.first?.double ?? 0
        var byRule: [String: Int] = [:]
        var byHour = [Int](repeating: 0, count: 24)
        for day in days {
            byRule.merge(day.byRule, uniquingKeysWith: +)
            for hour in 0..<24 { byHour[hour] += day.byHour[hour] }
        }
        let common = byRule.map { RuleCount(rule: $0.key, count: $0.value) }.sorted { ($0.count, $1.rule) > ($1.count, $0.rule) }
        return Analytics(driverId: driver, period: period.rawValue, from: start, to: end, sessions: sessions, monitoredSeconds: seconds,
                         alerts: days.reduce(0) { $0 + $1.alerts }, severityBreakdown: ["info": info, "warning": warning, "critical": critical],
                         hourlyDistribution: byHour, riskScore: risk, mostCommonAlerts: Array(common.prefix(10)), days: days)
    }

    /// Every driver the caller sees, with their period's sessions, monitored time, alerts and risk.
    func report(period: AnalyticsRepository.Period, containing date: Date, scope: Scope) async throws -> Report {
        let (start, end) = period.range(containing: date)
        var sql = SQLBuilder()
        let from = sql.bind(start), to = sql.bind(end)
        let text = """
            WITH drivers AS (
                SELECT u.id, u.username FROM users u WHERE u.role = 'driver' AND \(scope.drivers("u", &sql, driverColumn: "id"))
            ), stats AS (
                SELECT u.id AS driver_id, d.* FROM drivers u JOIN daily_statistics d ON \(Self.driverRows("d", "u"))
                WHERE d.day >= (\(from)::timestamptz AT TIME ZONE 'UTC')::date AND d.day < (\(to)::timestamptz AT TIME ZONE 'UTC')::date
            )
            SELECT u.id::text, u.username,
                   (SELECT count(*) FROM dms_sessions s WHERE s.driver_id = u.id AND s.started_at >= \(from) AND s.started_at < \(to)),
                   coalesce(sum(st.monitored_seconds), 0)::float8, coalesce(sum(st.alerts), 0)::int8, coalesce(sum(st.critical), 0)::int8,
                   vigil_risk_score(coalesce(sum(st.info), 0), coalesce(sum(st.warning), 0), coalesce(sum(st.critical), 0),
                                    coalesce(sum(st.monitored_seconds), 0)) AS risk,
                   (SELECT r.key FROM stats x, jsonb_each_text(x.by_rule) r WHERE x.driver_id = u.id
                    GROUP BY r.key ORDER BY sum(r.value::int8) DESC, r.key LIMIT 1)
            FROM drivers u LEFT JOIN stats st ON st.driver_id = u.id
            GROUP BY u.id, u.username ORDER BY risk DESC, u.username
            """
        let drivers = try await database.query(text, binding: sql.binds, doing: "reporting on drivers").map { values in
            let r = Row(values)
            return DriverSummary(driverId: try r.uuid(0), driver: try r.text(1), sessions: try r.int(2), monitoredSeconds: try r.double(3),
                                 alerts: try r.int(4), critical: try r.int(5), riskScore: try r.double(6), mostCommonAlert: r.optionalText(7))
        }
        return Report(period: period.rawValue, from: start, to: end, drivers: drivers)
    }

    /// `[{"rule": n}, ...]` summed by key.
    private static func sumObjects(_ value: JSONValue) -> [String: Int] {
        guard case .array(let items) = value else { return [:] }
        var out: [String: Int] = [:]
        for case .object(let object) in items {
            for (key, count) in object { if case .number(let n) = count { out[key, default: 0] += Int(n) } }
        }
        return out
    }

    /// `[[n0, n1, ...], ...]` summed element-wise into `count` values.
    private static func sumArrays(_ value: JSONValue, count: Int) -> [Int] {
        var out = [Int](repeating: 0, count: count)
        guard case .array(let items) = value else { return out }
        for case .array(let numbers) in items {
            for (i, number) in numbers.enumerated() where i < count { if case .number(let n) = number { out[i] += Int(n) } }
        }
        return out
    }
}
