import Foundation
import Hummingbird
import HTTPTypes

extension FaceSession: ResponseEncodable {}
extension FaceSummary: ResponseEncodable {}
extension FaceSessionRepository.Feedback: ResponseEncodable {}

/// `/api/v1/sessions`: facial-analysis sessions. Every user has their own (admins see all, supervisors their
/// tenant's; anyone else's is a 404). While a session runs, the user's app pushes frames to its `camera_id`
/// (`POST /ingest/{camera_id}` or `frame` messages on `/ws`); the facial-analysis pipeline stores facial data
/// per second; the end keeps a summary; deleting a session deletes its data.
struct FaceSessionController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: get)
        group.delete(":id", use: delete)
        group.post(":id/end", use: end)
        group.get(":id/facial-data", use: facialData)
        group.get(":id/summary", use: summary)
        group.get(":id/feedback", use: feedback)
        group.post(":id/feedback", use: addFeedback)
    }

    struct NewSession: Decodable { var name: String? }
    struct SessionList: ResponseEncodable { var sessions: [FaceSession] }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<FaceSession> {
        let caller = try context.caller()
        let body = request.headers[.contentLength] == "0" ? NewSession() : try await request.json(NewSession.self, context: context)
        let session = try await services.startFaceSession(caller: caller, name: try Validate.name(body.name ?? ""))
        await services.record("face_session.start", .success, context: context, target: "face_session:\(session.id)")
        return .init(status: .created, headers: [.location: "/api/v1/sessions/\(session.id)"], response: session)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> SessionList {
        let caller = try context.caller()
        let q = Query(request)
        return SessionList(sessions: try await services.faceSessions.list(scope: caller.scope, user: try q.uuid("user_id"),
                                                                          limit: try q.limit(default: 50, max: 500), offset: try q.offset()))
    }

    private func visible(_ context: AppRequestContext, _ caller: Caller) async throws -> FaceSession {
        let id = try context.bigIDParameter("id", "session")
        if let session = try await services.faceSessions.get(id, scope: caller.scope) { return session }
        throw try await notVisible(id, caller, context: context)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> FaceSession {
        try await visible(context, try context.caller())
    }

    @Sendable func end(_ request: Request, context: AppRequestContext) async throws -> FaceSession {
        let caller = try context.caller()
        let session = try await visible(context, caller)
        let ended = try await services.endFaceSession(session.id, caller: caller)
        await services.record("face_session.end", .success, context: context, target: "face_session:\(session.id)")
        return ended
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let session = try await visible(context, caller)
        try await services.deleteFaceSession(session.id, caller: caller)
        await services.record("face_session.delete", .success, context: context, target: "face_session:\(session.id)")
        return Response(status: .noContent)
    }

    struct FacialData: ResponseEncodable {
        var sessionId: Int
        var seconds: [FaceSecond]
    }

    /// Per second, oldest first, in pages (`limit` up to 3600, `offset`).
    @Sendable func facialData(_ request: Request, context: AppRequestContext) async throws -> FacialData {
        let caller = try context.caller()
        let session = try await visible(context, caller)
        let q = Query(request)
        return FacialData(sessionId: session.id, seconds: try await services.faceSessions.seconds(
            of: session, scope: caller.scope, limit: try q.limit(default: 600, max: 3600), offset: try q.offset()))
    }

    /// The summary kept at the end, or for a running session the one of its data so far.
    @Sendable func summary(_ request: Request, context: AppRequestContext) async throws -> FaceSummary {
        let caller = try context.caller()
        let session = try await visible(context, caller)
        if let kept = session.summary { return kept }
        return FaceSummary(try await services.faceSessions.seconds(of: session, scope: caller.scope), perMinute: true)
    }

    struct NewFeedback: Decodable {
        var rating: Int?
        var comment: String?
    }
    struct FeedbackList: ResponseEncodable { var feedback: [FaceSessionRepository.Feedback] }

    @Sendable func addFeedback(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<FaceSessionRepository.Feedback> {
        let caller = try context.caller()
        let session = try await visible(context, caller)
        let body = try await request.json(NewFeedback.self, context: context)
        if let rating = body.rating, !(1...5).contains(rating) { throw APIError.unprocessable("rating: 1 to 5") }
        let comment = body.comment ?? ""
        guard comment.unicodeScalars.count <= 2000, !comment.contains("\0") else { throw APIError.unprocessable("comment: at most 2000 characters") }
        guard body.rating != nil || !comment.isEmpty else { throw APIError.unprocessable("feedback: a rating, a comment or both") }
        let stored = try await services.faceSessions.addFeedback(session: session.id, user: caller.userID, rating: body.rating, comment: comment)
        return .init(status: .created, response: stored)
    }

    @Sendable func feedback(_ request: Request, context: AppRequestContext) async throws -> FeedbackList {
        let caller = try context.caller()
        let session = try await visible(context, caller)
        return FeedbackList(feedback: try await services.faceSessions.feedback(session: session.id, scope: caller.scope))
    }

    /// 404 for a session outside the caller's scope; one of another tenant is also written to the audit log.
    private func notVisible(_ id: Int, _ caller: Caller, context: AppRequestContext) async throws -> APIError {
        if caller.role != .admin, let tenant = try await services.faceSessions.unscopedTenant(id), tenant != caller.tenantID {
            await services.record("access.cross_tenant", .denied, context: context, target: "face_session:\(id)")
        }
        return APIError.notFound("session")
    }
}
