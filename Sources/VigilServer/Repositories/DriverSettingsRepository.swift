import Foundation
import VigilCore
import VigilStore

/// Drivers' calibrations and configurations, read and written with the caller's driver scope
/// (``Scope/drivers(_:_:driverColumn:)``) in every statement.
struct DriverSettingsRepository: Sendable {
    let database: Database

    /// The driver (a user with role `driver`) if the caller may see them: id, tenant, username.
    func driver(_ id: UUID, scope: Scope) async throws -> (id: UUID, tenant: Int, username: String)? {
        var sql = SQLBuilder()
        let text = "SELECT u.id::text, u.tenant_id, u.username FROM users u WHERE u.id = \(sql.bind(id)) AND u.role = 'driver' "
            + "AND \(scope.drivers("u", &sql, driverColumn: "id"))"
        guard let r = try await database.query(text, binding: sql.binds, doing: "finding a driver").first.map(Row.init) else { return nil }
        return (try r.uuid(0), try r.int(1), try r.text(2))
    }

    /// For the audit log only: the tenant of a driver the caller could not see.
    func unscopedTenant(_ id: UUID) async throws -> Int? {
        try await database.query("SELECT tenant_id FROM users WHERE id = $1::uuid", binding: [.text(id.uuidString)],
                                 doing: "auditing a driver lookup").first?.first?.int
    }

    // MARK: Calibrations

    static let calibrationColumns = "c.driver_id::text, c.ear_baseline, c.yaw_neutral, c.pitch_neutral, c.source, c.session_id, c.updated_at, c.updated_by::text"

    static func calibration(_ r: Row) throws -> DriverCalibration {
        DriverCalibration(driverId: try r.uuid(0), earBaseline: try r.double(1), yawNeutral: try r.double(2), pitchNeutral: try r.double(3),
                          source: try r.text(4), sessionId: r.optionalInt(5), updatedAt: try r.time(6),
                          updatedBy: r.optionalText(7).flatMap(UUID.init(uuidString:)))
    }

    func calibration(driver: UUID, scope: Scope) async throws -> DriverCalibration? {
        var sql = SQLBuilder()
        let text = "SELECT \(Self.calibrationColumns) FROM dms_calibrations c WHERE c.driver_id = \(sql.bind(driver)) "
            + "AND \(scope.drivers("c", &sql))"
        return try await database.query(text, binding: sql.binds, doing: "reading a calibration").first.map { try Self.calibration(Row($0)) }
    }

    /// Replaces the driver's calibration (the driver's tenant is the row's). `onlyIfAbsent`: keeps one
    /// already stored (a monitoring session measures for a driver who has none).
    @discardableResult
    func storeCalibration(driver: UUID, tenant: Int, earBaseline: Double, yawNeutral: Double, pitchNeutral: Double, source: String,
                          session: Int?, by user: UUID?, onlyIfAbsent: Bool = false) async throws -> Bool {
        var sql = SQLBuilder()
        let text = """
            INSERT INTO dms_calibrations AS c (driver_id, tenant_id, ear_baseline, yaw_neutral, pitch_neutral, source, session_id, updated_by)
            VALUES (\(sql.bind(driver)), \(sql.bind(tenant)), \(sql.bind(.double(earBaseline))), \(sql.bind(.double(yawNeutral))),
                    \(sql.bind(.double(pitchNeutral))), \(sql.bind(source)), \(sql.bind(session.map(SQLValue.int) ?? .null))::int8,
                    \(sql.bind(user.map { .text($0.uuidString) } ?? .null))::uuid)
            ON CONFLICT (driver_id) DO \(onlyIfAbsent ? "NOTHING" : """
                UPDATE SET ear_baseline = excluded.ear_baseline, yaw_neutral = excluded.yaw_neutral,
                pitch_neutral = excluded.pitch_neutral, source = excluded.source, session_id = excluded.session_id,
                updated_by = excluded.updated_by, updated_at = now()
                """)
            RETURNING c.driver_id
            """
        return try await !database.query(text, binding: sql.binds, doing: "storing a calibration").isEmpty
    }

    /// Removes the driver's calibration (the next session measures one); false when there was none to remove.
    func deleteCalibration(driver: UUID, scope: Scope) async throws -> Bool {
        var sql = SQLBuilder()
        let text = "DELETE FROM dms_calibrations c WHERE c.driver_id = \(sql.bind(driver)) AND \(scope.drivers("c", &sql)) RETURNING c.driver_id"
        return try await !database.query(text, binding: sql.binds, doing: "removing a calibration").isEmpty
    }

    /// What a session's pipeline measured (the last per-minute `measurement_last` of its calibration
    /// values, from the aggregates its task's runs wrote), or nil when it saw too little face to calibrate.
    func measuredCalibration(session: Int) async throws -> (earBaseline: Double, yawNeutral: Double, pitchNeutral: Double)? {
        let rows = try await database.query("""
            SELECT DISTINCT ON (a.dimensions->>'measurement') a.dimensions->>'measurement', a.value
            FROM dms_sessions s
            JOIN processing_task_cameras tc ON tc.task_id = s.task_id
            JOIN runs r ON r.job_id = tc.job_id
            JOIN aggregates a ON a.run_id = r.id AND a.camera_id = s.camera_id
            WHERE s.id = $1::int8 AND a.name = 'measurement_last'
              AND a.dimensions->>'measurement' IN ('ear_baseline', 'yaw_neutral', 'pitch_neutral')
            ORDER BY a.dimensions->>'measurement', a.time DESC
            """, binding: [.int(session)], doing: "reading a session's calibration")
        var values: [String: Double] = [:]
        for row in rows.map(Row.init) { values[try row.text(0)] = try row.double(1) }
        guard let ear = values["ear_baseline"], (0.05...1).contains(ear) else { return nil }
        return (ear, values["yaw_neutral"] ?? 0, values["pitch_neutral"] ?? 0)
    }

    // MARK: Configurations

    /// The driver's configuration over the pipeline's `variables`: what was set, the defaults for the rest.
    func configuration(driver: UUID, scope: Scope, variables: DriverPipelineVariables) async throws -> DriverConfiguration {
        var sql = SQLBuilder()
        let columns = DriverThreshold.allCases.map { "c.\($0.column)" }.joined(separator: ", ")
        let text = "SELECT \(columns), to_jsonb(c.enabled_rules)::text, c.updated_at, c.updated_by::text FROM dms_configurations c "
            + "WHERE c.driver_id = \(sql.bind(driver)) AND \(scope.drivers("c", &sql))"
        var configuration = DriverConfiguration(driverId: driver, thresholds: variables.defaults, defaults: variables.defaults,
                                                enabledRules: variables.rules, rules: variables.rules)
        guard let r = try await database.query(text, binding: sql.binds, doing: "reading a configuration").first.map(Row.init) else {
            return configuration
        }
        for (i, threshold) in DriverThreshold.allCases.enumerated() {
            if let value = r.optionalDouble(i) { configuration.thresholds[threshold.rawValue] = value }
        }
        let n = DriverThreshold.allCases.count
        if case .array(let items) = r.json(n) {
            let rules = items.compactMap { item -> String? in if case .string(let rule) = item { rule } else { nil } }
            configuration.enabledRules = variables.rules.filter(rules.contains)
        }
        configuration.updatedAt = r.optionalTime(n + 1)
        configuration.updatedBy = r.optionalText(n + 2).flatMap(UUID.init(uuidString:))
        return configuration
    }

    /// Replaces the driver's configuration: thresholds not given and `enabledRules` nil mean the defaults.
    func storeConfiguration(driver: UUID, tenant: Int, thresholds: [DriverThreshold: Double], enabledRules: [String]?,
                            by user: UUID) async throws {
        var sql = SQLBuilder()
        let all = DriverThreshold.allCases
        let values = all.map { threshold in
            thresholds[threshold].map { sql.bind(.double($0)) + "::float8" } ?? "NULL::float8"
        }
        let rules = enabledRules.map { sql.bind(.array($0)) + "::text[]" } ?? "NULL::text[]"
        let text = """
            INSERT INTO dms_configurations AS c (driver_id, tenant_id, \(all.map(\.column).joined(separator: ", ")), enabled_rules, updated_by)
            VALUES (\(sql.bind(driver)), \(sql.bind(tenant)), \(values.joined(separator: ", ")), \(rules), \(sql.bind(user)))
            ON CONFLICT (driver_id) DO UPDATE SET \(all.map { "\($0.column) = excluded.\($0.column)" }.joined(separator: ", ")),
                enabled_rules = excluded.enabled_rules, updated_by = excluded.updated_by, updated_at = now()
            """
        try await database.execute(text, binding: sql.binds, doing: "storing a configuration")
    }
}
