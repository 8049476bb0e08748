import Foundation
import Hummingbird
import HTTPTypes

extension DriverSession: ResponseEncodable {}

/// `/api/v1/dms`: driver monitoring. Drivers (role `driver`) start and end their own monitoring sessions
/// and read their own history; supervisors see, start and end those of their tenant's drivers; other roles
/// see none (404). A session is a live processing task of the driver-monitoring pipeline over the driver's
/// push camera: the driver's app pushes frames (`POST /ingest/{camera_id}` or `frame` messages on `/ws`)
/// and gets the alerts back; `end` keeps the session's duration and alert counts.
struct DMSController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("sessions", use: list)
        group.post("sessions/start", use: start)
        group.get("sessions/:id", use: get)
        group.post("sessions/:id/end", use: end)
        group.get("sessions/:id/alerts", use: alerts)
        group.post("sessions/:id/alerts", use: raiseAlert)
        DMSDriverController(services: services).register(on: group)
    }

    struct StartRequest: Decodable {
        var driverId: UUID?
        var kind: DriverSession.Kind?
    }
    struct SessionList: ResponseEncodable { var sessions: [DriverSession] }

    @Sendable func start(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<DriverSession> {
        let caller = try context.caller()
        let body = request.headers[.contentLength] == "0" ? StartRequest() : try await request.json(StartRequest.self, context: context)
        let session = try await services.startMonitoring(caller: caller, driverID: body.driverId, kind: body.kind ?? .monitoring)
        await services.record("dms.session_start", .success, context: context, target: "dms_session:\(session.id)",
                              details: ["driver": .string(session.driverId.uuidString), "camera": .number(Double(session.cameraId)),
                                        "kind": .string(session.kind.rawValue)])
        return .init(status: .created, headers: [.location: "/api/v1/dms/sessions/\(session.id)"], response: session)
    }

    @Sendable func end(_ request: Request, context: AppRequestContext) async throws -> DriverSession {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "monitoring session")
        do {
            let session = try await services.endMonitoring(id, caller: caller)
            await services.record("dms.session_end", .success, context: context, target: "dms_session:\(id)")
            return session
        } catch let error as APIError where error.status == .notFound {
            throw try await notVisible(id, caller, context: context)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> SessionList {
        let caller = try context.caller()
        let q = Query(request)
        return SessionList(sessions: try await services.driverSessions.list(scope: caller.scope, driver: try q.uuid("driver_id"),
                                                                            limit: try q.limit(default: 50, max: 500), offset: try q.offset()))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> DriverSession {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "monitoring session")
        guard let session = try await services.driverSessions.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        return session
    }

    /// The session's alerts — those its task's runs wrote — with their measurements (the value, peak,
    /// duration and attributes the pipeline wrote: EAR, MAR, head pose...), newest first, read with the
    /// caller's camera scope.
    @Sendable func alerts(_ request: Request, context: AppRequestContext) async throws -> EventController.EventList {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "monitoring session")
        guard let session = try await services.driverSessions.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        var list = try ListParameters(Query(request), keyset: EventRepository.keyset)
        list.cameras = [session.cameraId]
        let page = try await services.events.list(EventFilter(list: list, dmsSession: session.id), scope: caller.scope)
        return EventController.EventList(events: page.items, nextCursor: page.nextCursor)
    }

    struct ClientAlert: Decodable {
        var rule: String
        var severity: String?
        var message: String?
        /// When it began (default: now); within the session, not in the future.
        var time: Date?
        var duration: Double?
        var value: Double?
        /// The app's measurements (EAR, MAR, head pose...), kept among the alert's attributes.
        var metrics: [String: Double]?
    }

    /// An alert the driver's app raised itself (its own detector, a button): stored as the session's,
    /// counted at its end and in the driver's statistics. Only while the session runs, by whoever sees it.
    @Sendable func raiseAlert(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<StoredEvent> {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "monitoring session")
        guard let session = try await services.driverSessions.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        let body = try await request.json(ClientAlert.self, context: context)
        guard body.rule.range(of: #"^[a-z][a-z0-9_]{0,63}$"#, options: .regularExpression) != nil else {
            throw APIError.unprocessable("rule: 1 to 64 characters of a-z, 0-9 and '_', starting with a letter")
        }
        let severity = body.severity ?? "warning"
        guard EventController.severities.contains(severity) else { throw APIError.unprocessable("severity: info, warning or critical") }
        let message = try Validate.name(body.message ?? "\(body.rule) (raised by the driver's app)", field: "message", max: 500)
        let duration = body.duration ?? 0
        guard duration.isFinite, (0...86_400).contains(duration) else { throw APIError.unprocessable("duration: seconds from 0 to 86400") }
        if let value = body.value, !value.isFinite { throw APIError.unprocessable("value: a finite number") }
        let metrics = body.metrics ?? [:]
        guard metrics.count <= 32, metrics.allSatisfy({ $0.key.range(of: #"^[a-z][a-z0-9_]{0,39}$"#, options: .regularExpression) != nil
                                                         && !["subject", "dms_session", "source"].contains($0.key) && $0.value.isFinite }) else {
            throw APIError.unprocessable("metrics: at most 32 finite numbers named with a-z, 0-9 and '_' (not subject, dms_session or source)")
        }
        let now = Date()
        let time = body.time ?? now
        guard session.endedAt == nil else { throw APIError.conflict("monitoring session \(id) has ended") }
        guard time >= session.startedAt.addingTimeInterval(-1), time <= now.addingTimeInterval(60) else {
            throw APIError.unprocessable("time: within the session, from its start up to now")
        }
        let event = try await services.driverSessions.raiseClientAlert(session, rule: body.rule, severity: severity, message: message, time: time,
                                                                        duration: duration, value: body.value, metrics: metrics)
        await services.record("dms.client_alert", .success, context: context, target: "dms_session:\(id)",
                              details: ["event": .number(Double(event)), "rule": .string(body.rule)])
        guard let stored = try await services.events.get(event, scope: caller.scope) else { throw APIError.notFound("event") }
        return .init(status: .created, headers: [.location: "/api/v1/events/\(event)"], response: stored)
    }

    /// 404 for a session outside the caller's scope; one of another tenant is also written to the audit log.
    private func notVisible(_ id: Int, _ caller: Caller, context: AppRequestContext) async throws -> APIError {
        if caller.role != .admin, let tenant = try await services.driverSessions.unscopedTenant(id), tenant != caller.tenantID {
            await services.record("access.cross_tenant", .denied, context: context, target: "dms_session:\(id)")
        }
        return APIError.notFound("monitoring session")
    }
}
