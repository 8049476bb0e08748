import Foundation
import Hummingbird
import HTTPTypes
import VigilConfig
import VigilCore
import VigilJobs

extension ProcessingTask: ResponseEncodable {}

/// `/api/v1/processing-tasks`: work over a tenant's cameras put on the job queue — `POST /start` answers at
/// once with the task id and its status URL, `GET /{id}` says how each camera's job is doing (state,
/// frames, frames/s, errors), `POST /{id}/stop` stops them cleanly. Admins, supervisors and operators
/// start and stop tasks over the cameras they see; a task is visible to whoever sees all its cameras.
struct ProcessingTaskController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post("start", use: start)
        group.get(":id", use: get)
        group.post(":id/stop", use: stop)
    }

    struct StartRequest: Decodable {
        var environmentId: Int?
        var cameraIds: [Int]?
        var pipeline: String
        /// `stream` (live cameras, until stopped) or `batch` (each camera's recording to its end).
        var mode: String
        /// Media time window of batch work: `30s`, `1m30s`.
        var from: String?
        var to: String?
    }

    struct Started: ResponseEncodable {
        var taskId: Int
        var statusUrl: String
        var state: String
    }

    struct TaskList: ResponseEncodable { var tasks: [ProcessingTask] }

    private func visible(_ id: Int, _ caller: Caller) async throws -> ProcessingTask {
        guard let task = try await services.tasks.get(id, scope: caller.scope) else { throw APIError.notFound("processing task") }
        return task
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> TaskList {
        let caller = try context.caller()
        let q = Query(request)
        return TaskList(tasks: try await services.tasks.list(scope: caller.scope, limit: try q.limit(default: 50, max: 1000),
                                                             offset: try q.offset()))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> ProcessingTask {
        try await visible(try context.idParameter("id", "processing task"), try context.caller())
    }

    @Sendable func stop(_ request: Request, context: AppRequestContext) async throws -> ProcessingTask {
        let caller = try context.caller()
        let id = try context.idParameter("id", "processing task")
        _ = try await visible(id, caller)
        guard caller.role.runsTasks else { throw APIError.forbidden("only administrators, supervisors and operators stop processing") }
        guard try await services.tasks.stop(id, scope: caller.scope) else { throw APIError.notFound("processing task") }
        await services.record("processing_tasks.stop", .success, context: context, target: "processing_task:\(id)")
        return try await visible(id, caller)
    }

    @Sendable func start(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Started> {
        let caller = try context.caller()
        guard caller.role.runsTasks else { throw APIError.forbidden("only administrators, supervisors and operators start processing") }
        let body = try await request.json(StartRequest.self, context: context)
        guard body.mode == "stream" || body.mode == "batch" else { throw APIError.unprocessable("mode: stream or batch") }
        for (field, value) in [("from", body.from), ("to", body.to)] {
            guard let value else { continue }
            guard body.mode == "batch" else { throw APIError.unprocessable("\(field): a time window applies to batch tasks only") }
            guard let seconds = ConfigValueParser.duration(value), seconds >= 0 else {
                throw APIError.unprocessable("\(field): a media time such as 30s or 1m30s")
            }
        }
        let cameras = try await cameras(body, caller: caller)
        let id = try await services.launchTask(pipeline: body.pipeline, mode: body.mode, from: body.from, to: body.to,
                                               environmentID: body.environmentId, cameras: cameras, createdBy: caller.userID)
        await services.record("processing_tasks.start", .success, context: context, target: "processing_task:\(id)",
                              details: ["cameras": .array(cameras.map { .number(Double($0.id)) }), "pipeline": .string(body.pipeline)])
        return .init(status: .accepted, response: Started(taskId: id, statusUrl: "/api/v1/processing-tasks/\(id)", state: "queued"))
    }

    /// The cameras the task names (default: the environment's the caller sees), each visible to the caller
    /// and, with an environment, in it.
    private func cameras(_ body: StartRequest, caller: Caller) async throws -> [Camera] {
        var ids = body.cameraIds ?? []
        if let environment = body.environmentId {
            guard let found = try await services.environments.get(environment, scope: caller.scope) else {
                throw APIError.notFound("environment")
            }
            if ids.isEmpty { ids = found.cameraIds }
            if let outside = ids.first(where: { !found.cameraIds.contains($0) }) {
                throw APIError.unprocessable("camera_ids: camera \(outside) is not in environment \(environment)")
            }
        }
        guard !ids.isEmpty else { throw APIError.unprocessable("camera_ids: at least one camera (or an environment with cameras)") }
        guard ids.count <= 256, Set(ids).count == ids.count else { throw APIError.unprocessable("camera_ids: at most 256, each once") }
        var cameras: [Camera] = []
        for id in ids {
            guard let camera = try await services.cameras.get(id, scope: caller.scope) else { throw APIError.notFound("camera") }
            cameras.append(camera)
        }
        return cameras
    }
}

/// A pipeline a processing task runs once per camera: `NAME.yaml` in the server's pipelines folder, with
/// exactly one source (each camera's job points it at the camera's URL). The workers check the rest.
enum PipelineTemplate {
    static func read(_ name: String, in directory: String) throws -> (file: String, source: String) {
        let (file, text) = try text(name, in: directory)
        let sources: [String]
        do {
            sources = try ConfigFile.parse(text, file: file).entry("sources")?.value.entries?.map(\.key) ?? []
        } catch {
            throw APIError.unprocessable("pipeline: \(name) cannot be read: \(error)")
        }
        guard sources.count == 1, let source = sources.first else {
            throw APIError.unprocessable("pipeline: \(name) has \(sources.count) sources; a task runs a one-source pipeline per camera")
        }
        return (file, source)
    }

    /// The file of pipeline `name` and its text.
    static func text(_ name: String, in directory: String) throws -> (file: String, text: String) {
        guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$"#, options: .regularExpression) != nil else {
            throw APIError.unprocessable("pipeline: a pipeline name (letters, digits, '-' and '_')")
        }
        let file = (directory as NSString).appendingPathComponent(name + ".yaml")
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw APIError.unprocessable("pipeline: the server has no pipeline named \(name)")
        }
        return (file, text)
    }
}
