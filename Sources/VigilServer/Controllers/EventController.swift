import Foundation
import Hummingbird
import HTTPTypes

extension StoredEvent: ResponseEncodable {}

/// `/api/v1/events`: the alerts and stream gaps of the cameras the caller sees, newest first, in keyset
/// pages; `POST /{id}/acknowledge` (admins, supervisors, operators). Another tenant's event is a 404.
struct EventController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.get(":id", use: get)
        group.post(":id/acknowledge", use: acknowledge)
        for kind in EventEvidence.Kind.allCases {
            group.get(":id/\(kind.rawValue)") { request, context in try await evidence(kind, request, context: context) }
        }
    }

    struct EventList: ResponseEncodable {
        var events: [StoredEvent]
        var nextCursor: String?
    }

    static let severities: Set<String> = ["info", "warning", "critical"]

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> EventList {
        let caller = try context.caller()
        let q = Query(request)
        let filter = EventFilter(list: try ListParameters(q, keyset: EventRepository.keyset), kinds: try q.names("kinds"), zones: try q.names("zones"),
                                 severities: try q.names("severity", allowed: Self.severities), acknowledged: try q.bool("acknowledged"))
        let page = try await services.events.list(filter, scope: caller.scope)
        return EventList(events: page.items, nextCursor: page.nextCursor)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> StoredEvent {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "event")
        guard let event = try await services.events.get(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        return event
    }

    @Sendable func acknowledge(_ request: Request, context: AppRequestContext) async throws -> StoredEvent {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "event")
        guard try await services.events.get(id, scope: caller.scope) != nil else { throw try await notVisible(id, caller, context: context) }
        guard [.admin, .supervisor, .operator].contains(caller.role) else {
            throw APIError.forbidden("only administrators, supervisors and operators acknowledge alerts")
        }
        guard let event = try await services.events.acknowledge(id, by: caller.userID, scope: caller.scope) else { throw APIError.notFound("event") }
        await services.record("events.acknowledge", .success, context: context, target: "event:\(id)")
        return event
    }

    /// The alert's snapshot, crop or clip as its stage wrote it, from the server's media folder (`Range`
    /// honoured: a `<video>` seeks in the clip). 404 for an event the caller cannot see, or without that file.
    func evidence(_ kind: EventEvidence.Kind, _ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.bigIDParameter("id", "event")
        guard let paths = try await services.events.evidence(id, scope: caller.scope) else { throw try await notVisible(id, caller, context: context) }
        guard let stored = EventEvidence.path(of: kind, in: paths), let path = services.configuration.media.resolve(stored) else {
            throw APIError.notFound("\(kind.rawValue) of event \(id) (its alert stage wrote none)")
        }
        let type = kind == .clip ? EventEvidence.contentType(ofClip: path) : kind.contentType
        return try await RangedResponse.file(path, contentType: type, request: request, context: context, what: "\(kind.rawValue) of event \(id)")
    }

    /// 404 for an event outside the caller's scope; one of another tenant is also written to the audit log.
    private func notVisible(_ id: Int, _ caller: Caller, context: AppRequestContext) async throws -> APIError {
        if caller.role != .admin, let tenant = try await services.events.unscopedOwner(id), tenant != caller.tenantID {
            await services.record("access.cross_tenant", .denied, context: context, target: "event:\(id)")
        }
        return APIError.notFound("event")
    }
}
