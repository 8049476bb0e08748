import Foundation

/// Starting, ending and deleting facial-analysis sessions for `/api/v1/sessions`: a session runs
/// `Pipelines/facial-analysis.yaml` (the server's ``ServerConfiguration/facePipeline``) as a live processing
/// task over the user's own push camera (`face-<username>`), which the user's app pushes frames to.
extension ServerServices {
    var faceSessions: FaceSessionRepository { FaceSessionRepository(database: database) }

    /// Starts a session for the caller (any role that pushes frames). 409 while they have one running.
    func startFaceSession(caller: Caller, name: String) async throws -> FaceSession {
        guard caller.role.pushesFrames else { throw APIError.forbidden("viewers cannot push the frames a session analyses") }
        let camera = try await PersonalCameraRepository(database: database).camera(for: caller.userID, named: "face-" + caller.username,
                                                                                 tenant: caller.tenantID)
        guard let session = try await faceSessions.start(tenant: caller.tenantID, user: caller.userID, camera: camera, name: name) else {
            let running = try await faceSessions.running(user: caller.userID)
            throw APIError.conflict("you already have a running session\(running.map { " (\($0))" } ?? ""); end it first")
        }
        do {
            guard let row = try await cameras.get(camera, scope: caller.scope) else { throw APIError.notFound("camera") }
            let task = try await launchTask(pipeline: configuration.facePipeline, mode: "stream", cameras: [row],
                                            variables: ["SUBJECT_ID": caller.userID.uuidString.lowercased()], createdBy: caller.userID)
            try await faceSessions.attach(task: task, to: session)
        } catch {
            try? await faceSessions.discard(session)
            throw error
        }
        guard let started = try await faceSessions.get(session, scope: caller.scope) else { throw APIError.notFound("session") }
        return started
    }

    /// Ends a running session the caller sees: stops its task, waits for the worker's last commit, then keeps
    /// the summary of its facial data.
    func endFaceSession(_ id: Int, caller: Caller) async throws -> FaceSession {
        guard let session = try await faceSessions.get(id, scope: caller.scope) else { throw APIError.notFound("session") }
        guard session.endedAt == nil else { throw APIError.conflict("session \(id) has already ended") }
        if let task = session.taskId { try await stopTaskAndWait(task, scope: caller.scope) }
        let summary = FaceSummary(try await faceSessions.seconds(of: session, scope: caller.scope), perMinute: true)
        guard let ended = try await faceSessions.end(id, summary: summary, scope: caller.scope) else {
            throw APIError.conflict("session \(id) has already ended")
        }
        return ended
    }

    /// Deletes a session the caller sees and all its data (a running one is stopped first).
    func deleteFaceSession(_ id: Int, caller: Caller) async throws {
        guard let session = try await faceSessions.get(id, scope: caller.scope) else { throw APIError.notFound("session") }
        if session.endedAt == nil, let task = session.taskId { try await stopTaskAndWait(task, scope: caller.scope) }
        guard try await faceSessions.delete(id, scope: caller.scope) else { throw APIError.notFound("session") }
    }

    /// Asks the task's jobs to stop and waits (up to 30 s) until none is queued or running: the worker has
    /// committed what it had.
    func stopTaskAndWait(_ task: Int, scope: Scope) async throws {
        _ = try await tasks.stop(task, scope: scope)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, let state = try await tasks.get(task, scope: scope)?.state, state == "running" || state == "queued" {
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
