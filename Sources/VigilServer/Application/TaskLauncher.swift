import Foundation
import VigilConfig
import VigilCore
import VigilJobs

extension ServerServices {
    /// Puts a processing task on the job queue: one job per camera running `pipeline` (a `NAME.yaml` of the
    /// pipelines folder with one source, pointed at each camera's URL). The cameras are already checked
    /// against the caller's scope; `variables` fill the file's `${NAME}` references. For `POST /processing-tasks/start` and the domain packs' sessions.
    func launchTask(pipeline: String, mode: String, from: String? = nil, to: String? = nil, environmentID: Int? = nil,
                    cameras: [Camera], variables: [String: String]? = nil, createdBy: UUID) async throws -> Int {
        let (file, source) = try PipelineTemplate.read(pipeline, in: configuration.pipelinesDirectory)
        guard let tenant = cameras.first?.tenantId, cameras.allSatisfy({ $0.tenantId == tenant }) else {
            throw APIError.unprocessable("camera_ids: the cameras of one task belong to one tenant")
        }
        let kind: JobKind = mode == "stream" ? .stream : .run
        var jobs: [(camera: Int, job: NewJob)] = []
        for camera in cameras {
            guard let url = camera.url else { throw APIError.unprocessable("camera_ids: camera \(camera.id) has no source url") }
            let arguments = RunJobArguments(file: file, inputs: [source: url], from: from, to: to, cameras: [source: camera.id],
                                             variables: variables)
            let json = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
            jobs.append((camera.id, NewJob(kind: kind, queue: NewJob.defaultQueue(for: kind), arguments: json, tenantID: tenant)))
        }
        return try await tasks.create(NewProcessingTask(
            tenantID: tenant, environmentID: environmentID, pipeline: pipeline, mode: mode, from: from, to: to,
            createdBy: createdBy, jobs: jobs))
    }
}
