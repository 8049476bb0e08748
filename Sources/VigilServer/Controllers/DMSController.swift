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
    }

    struct StartRequest: Decodable { var driverId: UUID? }
    struct SessionList: ResponseEncodable { var sessions: [DriverSession] }

    @Sendable func start(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<DriverSession> {
        let caller = try context.caller()
        let body = request.headers[.contentLength] == "0" ? StartRequest() : try await request.json(StartRequest.self, context: context)
        let session = try await services.startMonitoring(caller: caller, driverID: body.driverId)
        await services.record("dms.session_start", .success, context: context, target: "dms_session:\(session.id)",
                              details: ["driver": .string(session.driverId.uuidString), "camera": .number(Double(session.cameraId))])
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
        guard let task = session.taskId else { return EventController.EventList(events: [], nextCursor: nil) }
        var list = try ListParameters(Query(request), keyset: EventRepository.keyset)
        list.cameras = [session.cameraId]
        let page = try await services.events.list(EventFilter(list: list, taskID: task), scope: caller.scope)
        return EventController.EventList(events: page.items, nextCursor: page.nextCursor)
    }

    /// 404 for a session outside the caller's scope; one of another tenant is also written to the audit log.
    private func notVisible(_ id: Int, _ caller: Caller, context: AppRequestContext) async throws -> APIError {
        if caller.role != .admin, let tenant = try await services.driverSessions.unscopedTenant(id), tenant != caller.tenantID {
            await services.record("access.cross_tenant", .denied, context: context, target: "dms_session:\(id)")
        }
        return APIError.notFound("monitoring session")
    }
}
