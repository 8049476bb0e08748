import VigilCore

/// Sends each job to the executor of its kind; a kind nobody runs fails with a clear reason.
public struct ExecutorsByKind: JobExecutor {
    let executors: [JobKind: any JobExecutor]

    public init(_ executors: [JobKind: any JobExecutor]) { self.executors = executors }

    public func execute(_ job: ClaimedJob, control: JobControl) async throws -> String? {
        guard let executor = executors[job.job.kind] else {
            throw VigilError(.invalidArgument, "this worker runs no \(job.job.kind.rawValue) jobs (it runs "
                + executors.keys.map(\.rawValue).sorted().joined(separator: ", ") + ")")
        }
        return try await executor.execute(job, control: control)
    }
}
