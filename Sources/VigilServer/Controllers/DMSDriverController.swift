import Foundation
import Hummingbird
import HTTPTypes

extension DriverCalibration: ResponseEncodable {}
extension DriverConfiguration: ResponseEncodable {}
extension DriverAnalyticsRepository.Analytics: ResponseEncodable {}
extension DriverAnalyticsRepository.Report: ResponseEncodable {}

/// `/api/v1/dms/drivers/{id}/...` and `/api/v1/dms/report`: what a driver's pipeline is given (their
/// calibration and configuration) and what their sessions add up to (daily statistics, period analytics,
/// alert history). A driver reads their own; supervisors read and set those of their tenant's drivers,
/// admins everyone's; anyone else, or a driver of another tenant, is a 404.
struct DMSDriverController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("drivers/:id/calibration", use: calibration)
        group.put("drivers/:id/calibration", use: setCalibration)
        group.delete("drivers/:id/calibration", use: deleteCalibration)
        group.get("drivers/:id/configuration", use: configuration)
        group.put("drivers/:id/configuration", use: setConfiguration)
        group.get("drivers/:id/statistics/daily", use: daily)
        group.get("drivers/:id/analytics", use: analytics)
        group.get("drivers/:id/alerts", use: alerts)
        group.get("report", use: report)
    }

    private var settings: DriverSettingsRepository { DriverSettingsRepository(database: services.database) }
    private var statistics: DriverAnalyticsRepository { DriverAnalyticsRepository(database: services.database) }

    /// The driver named by the path, if the caller sees them (else 404, audited when of another tenant).
    private func driver(_ context: AppRequestContext, _ caller: Caller) async throws -> (id: UUID, tenant: Int, username: String) {
        let id = try context.uuidParameter("id", "driver")
        if let driver = try await settings.driver(id, scope: caller.scope) { return driver }
        if caller.role != .admin, let tenant = try await settings.unscopedTenant(id), tenant != caller.tenantID {
            await services.record("access.cross_tenant", .denied, context: context, target: "driver:\(id)")
        }
        throw APIError.notFound("driver")
    }

    /// Setting a driver's calibration or thresholds is a supervisor's (or an admin's) decision, not the driver's.
    private func requireSupervisor(_ caller: Caller) throws {
        guard caller.role == .admin || caller.role == .supervisor else {
            throw APIError.forbidden("only administrators and supervisors set a driver's calibration and configuration")
        }
    }

    // MARK: Calibration

    @Sendable func calibration(_ request: Request, context: AppRequestContext) async throws -> DriverCalibration {
        let caller = try context.caller()
        let driver = try await driver(context, caller)
        guard let calibration = try await settings.calibration(driver: driver.id, scope: caller.scope) else {
            throw APIError.notFound("calibration (run a calibration session or set one)")
        }
        return calibration
    }

    struct CalibrationRequest: Decodable {
        var earBaseline: Double
        var yawNeutral: Double?
        var pitchNeutral: Double?
    }

    @Sendable func setCalibration(_ request: Request, context: AppRequestContext) async throws -> DriverCalibration {
        let caller = try context.caller()
        let driver = try await driver(context, caller)
        try requireSupervisor(caller)
        let body = try await request.json(CalibrationRequest.self, context: context)
        guard (0.05...1).contains(body.earBaseline) else { throw APIError.unprocessable("ear_baseline: an eye aspect ratio from 0.05 to 1") }
        for (name, value) in [("yaw_neutral", body.yawNeutral), ("pitch_neutral", body.pitchNeutral)] {
            if let value, !(-90...90).contains(value) { throw APIError.unprocessable("\(name): degrees from -90 to 90") }
        }
        try await settings.storeCalibration(driver: driver.id, tenant: driver.tenant, earBaseline: body.earBaseline,
                                            yawNeutral: body.yawNeutral ?? 0, pitchNeutral: body.pitchNeutral ?? 0, source: "manual",
                                            session: nil, by: caller.userID)
        await services.record("dms.calibration_set", .success, context: context, target: "driver:\(driver.id)",
                              details: ["ear_baseline": .number(body.earBaseline)])
        guard let stored = try await settings.calibration(driver: driver.id, scope: caller.scope) else { throw APIError.notFound("calibration") }
        return stored
    }

    @Sendable func deleteCalibration(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let driver = try await driver(context, caller)
        try requireSupervisor(caller)
        guard try await settings.deleteCalibration(driver: driver.id, scope: caller.scope) else { throw APIError.notFound("calibration") }
        await services.record("dms.calibration_delete", .success, context: context, target: "driver:\(driver.id)")
        return Response(status: .noContent)
    }

    // MARK: Configuration

    @Sendable func configuration(_ request: Request, context: AppRequestContext) async throws -> DriverConfiguration {
        let caller = try context.caller()
        let driver = try await driver(context, caller)
        return try await settings.configuration(driver: driver.id, scope: caller.scope, variables: try services.driverPipelineVariables())
    }

    struct ConfigurationRequest: Decodable {
        var thresholds: [String: Double]?
        var enabledRules: [String]?
    }

    /// Replaces the configuration: thresholds left out and `enabled_rules` left out take the defaults.
    @Sendable func setConfiguration(_ request: Request, context: AppRequestContext) async throws -> DriverConfiguration {
        let caller = try context.caller()
        let driver = try await driver(context, caller)
        try requireSupervisor(caller)
        let body = try await request.json(ConfigurationRequest.self, context: context)
        let variables = try services.driverPipelineVariables()
        var thresholds: [DriverThreshold: Double] = [:]
        for (name, value) in body.thresholds ?? [:] {
            guard let threshold = DriverThreshold(rawValue: name) else {
                throw APIError.unprocessable("thresholds: unknown threshold \(name); expected one of "
                                             + DriverThreshold.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard threshold.range.contains(value) else {
                throw APIError.unprocessable("thresholds.\(name): from \(threshold.range.lowerBound) to \(threshold.range.upperBound)")
            }
            thresholds[threshold] = value
        }
        if let rules = body.enabledRules, let unknown = rules.first(where: { !variables.rules.contains($0) }) {
            throw APIError.unprocessable("enabled_rules: unknown rule \(unknown); expected some of \(variables.rules.joined(separator: ", "))")
        }
        try await settings.storeConfiguration(driver: driver.id, tenant: driver.tenant, thresholds: thresholds,
                                              enabledRules: body.enabledRules.map { Array(Set($0)).sorted() }, by: caller.userID)
        await services.record("dms.configuration_set", .success, context: context, target: "driver:\(driver.id)")
        return try await settings.configuration(driver: driver.id, scope: caller.scope, variables: variables)
    }

    // MARK: Statistics

    struct DailyStatistics: ResponseEncodable {
        var driverId: UUID
        var from: Date
        var to: Date
        var days: [DriverAnalyticsRepository.Day]
    }

    /// `from` and `to` (times; default: the last 30 days up to now), at most a year apart.
    @Sendable func daily(_ request: Request, context: AppRequestContext) async throws -> DailyStatistics {
        let caller = try context.caller()
        let driver = try await driver(context, caller)
        let q = Query(request)
        let to = try q.time("to") ?? Date().addingTimeInterval(86_400)
        let from = try q.time("from") ?? to.addingTimeInterval(-31 * 86_400)
        guard from <= to, to.timeIntervalSince(from) <= 366 * 86_400 else {
            throw APIError.badRequest("query parameters from, to: from before to, at most 366 days apart", code: "invalid_parameter")
        }
        return DailyStatistics(driverId: driver.id, from: from, to: to,
                               days: try await statistics.days(driver: driver.id, from: from, to: to, scope: caller.scope))
    }

    @Sendable func analytics(_ request: Request, context: AppRequestContext) async throws -> DriverAnalyticsRepository.Analytics {
        let caller = try context.caller()
        let driver = try await driver(context, caller)
        let q = Query(request)
        return try await statistics.analytics(driver: driver.id, period: try q.oneOf("period", AnalyticsRepository.Period.self) ?? .week,
                                              containing: try q.time("date") ?? Date(), scope: caller.scope)
    }

    /// The driver's alerts over all their sessions, newest first, with the event list's filters
    /// (`from`, `to`, `severity`, `rules`, `cursor`, `limit`).
    @Sendable func alerts(_ request: Request, context: AppRequestContext) async throws -> EventController.EventList {
        let caller = try context.caller()
        let driver = try await driver(context, caller)
        let q = Query(request)
        let filter = EventFilter(list: try ListParameters(q, keyset: EventRepository.keyset),
                                 severities: try q.names("severity", allowed: EventController.severities), dmsDriver: driver.id,
                                 rules: try q.names("rules"))
        let page = try await services.events.list(filter, scope: caller.scope)
        return EventController.EventList(events: page.items, nextCursor: page.nextCursor)
    }

    /// Every driver of the supervisor's tenant (an admin's: all), highest risk first.
    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> DriverAnalyticsRepository.Report {
        let caller = try context.caller()
        guard caller.role == .admin || caller.role == .supervisor else {
            throw APIError.forbidden("the drivers' report is for administrators and supervisors")
        }
        let q = Query(request)
        return try await statistics.report(period: try q.oneOf("period", AnalyticsRepository.Period.self) ?? .week,
                                           containing: try q.time("date") ?? Date(), scope: caller.scope)
    }
}

extension ServerServices {
    /// The thresholds' defaults and switchable rules of the driver pipeline file.
    func driverPipelineVariables() throws -> DriverPipelineVariables {
        try DriverPipelineVariables(pipeline: configuration.dmsPipeline, in: configuration.pipelinesDirectory)
    }
}
