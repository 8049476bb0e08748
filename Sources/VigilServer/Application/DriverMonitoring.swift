import Foundation

/// Starting and ending drivers' monitoring sessions, for `/api/v1/dms/sessions` and the WebSocket's
/// `start_monitoring` / `stop_monitoring`: a session runs `Pipelines/driver-monitoring.yaml` (the
/// server's ``ServerConfiguration/dmsPipeline``) as a live processing task over the driver's own push camera.
extension ServerServices {
    var driverSessions: DriverSessionRepository { DriverSessionRepository(database: database) }
    var driverSettings: DriverSettingsRepository { DriverSettingsRepository(database: database) }

    /// Starts a session for `driverID` (default: the caller, who must then be a driver). Supervisors and
    /// admins start one for a driver they see. 409 when the driver already has one running.
    ///
    /// The driver's pipeline instance is given their stored calibration (a monitoring session of a driver
    /// without one measures it), their thresholds and enabled rules; a calibration session measures with
    /// every rule off.
    func startMonitoring(caller: Caller, driverID: UUID?, kind: DriverSession.Kind = .monitoring) async throws -> DriverSession {
        let driverID = driverID ?? caller.userID
        if driverID == caller.userID {
            guard caller.role == .driver else { throw APIError.forbidden("only drivers are monitored; a supervisor names the driver (driver_id)") }
        } else {
            guard caller.role == .admin || caller.role == .supervisor else {
                throw APIError.forbidden("only administrators and supervisors start a session for another driver")
            }
        }
        guard let driver = try await users.get(driverID, scope: caller.scope), driver.role == .driver else { throw APIError.notFound("driver") }
        guard driver.status == .active else { throw APIError.conflict("the driver's account is \(driver.status.rawValue)") }
        let camera = try await driverSessions.driverCamera(driver: driver.id, username: driver.username, tenant: driver.tenantId)
        let pipeline = try driverPipelineVariables()
        let variables = pipeline.values(driver: driver.id, kind: kind,
                                        calibration: try await driverSettings.calibration(driver: driver.id, scope: .system),
                                        configuration: try await driverSettings.configuration(driver: driver.id, scope: .system, variables: pipeline))
        guard let session = try await driverSessions.start(tenant: driver.tenantId, driver: driver.id, camera: camera, kind: kind) else {
            let running = try await driverSessions.running(driver: driver.id)
            throw APIError.conflict("the driver already has a running session\(running.map { " (\($0.id))" } ?? ""); end it first")
        }
        do {
            guard let row = try await cameras.get(camera, scope: caller.scope) else { throw APIError.notFound("camera") }
            let task = try await launchTask(pipeline: configuration.dmsPipeline, mode: "stream", cameras: [row], variables: variables,
                                            createdBy: caller.userID)
            try await driverSessions.attach(task: task, to: session)
        } catch {
            try? await driverSessions.discard(session)
            throw error
        }
        guard let started = try await driverSessions.get(session, scope: caller.scope) else { throw APIError.notFound("session") }
        return started
    }

    /// Ends a running session the caller sees: stops its task, waits (up to 30 s) for the worker to commit
    /// what it has, then keeps the duration and the alert counts, and the calibration the pipeline measured
    /// (a calibration session's replaces the driver's; a monitoring session's is kept for a driver who had
    /// none). 404 for a session the caller cannot see, 409 for one already ended.
    func endMonitoring(_ id: Int, caller: Caller) async throws -> DriverSession {
        guard let session = try await driverSessions.get(id, scope: caller.scope) else { throw APIError.notFound("monitoring session") }
        guard session.endedAt == nil else { throw APIError.conflict("monitoring session \(id) has already ended") }
        if let task = session.taskId { try await stopTaskAndWait(task, scope: caller.scope) }
        guard let ended = try await driverSessions.end(id, scope: caller.scope) else { throw APIError.conflict("monitoring session \(id) has already ended") }
        if let measured = try await driverSettings.measuredCalibration(session: id) {
            try await driverSettings.storeCalibration(driver: ended.driverId, tenant: ended.tenantId, earBaseline: measured.earBaseline,
                                                      yawNeutral: measured.yawNeutral, pitchNeutral: measured.pitchNeutral, source: "measured",
                                                      session: id, by: caller.userID, onlyIfAbsent: ended.kind == .monitoring)
        }
        return ended
    }
}
