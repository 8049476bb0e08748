import Foundation
import Logging
import VigilCore
import VigilJobs
import VigilMedia
import VigilPipeline
import VigilStore
import VigilVision

/// Runs `run` and `stream` jobs: the pipeline or job file of the job's arguments, as `vigil run` would,
/// under the job's lease (every commit presents it) and stop signal. A job file whose input is a footage
/// folder runs once per recording, skipping (with `new_only`) recordings processed before. A later
/// attempt resumes the run an earlier attempt of the same job wrote.
struct PipelineJobExecutor: JobExecutor {
    let queue: JobQueue
    let logger: Logger

    func execute(_ claimed: ClaimedJob, control: JobControl) async throws -> String? {
        let job = claimed.job
        let arguments: RunJobArguments
        do {
            arguments = try JSONDecoder().decode(RunJobArguments.self, from: Data(job.arguments.utf8))
        } catch {
            throw VigilError(.invalidArgument, "job \(job.id): arguments are not those of a run job (\(error)): \(job.arguments)")
        }
        let jobFile = JobFile.isJob(arguments.file) ? try JobFile.load(arguments.file) : nil
        let environment = ProcessInfo.processInfo.environment.merging(arguments.variables ?? [:]) { _, given in given }
        var spec = try PipelineLoader(registry: StageKinds.registry, environment: environment).load(file: jobFile?.pipeline ?? arguments.file)
        var overrides = jobFile?.inputs ?? [:]
        overrides.merge(arguments.inputs ?? [:]) { _, new in new }
        StageKinds.substitutePushInputs(in: &spec, overrides: overrides)
        let window = TimeWindow(start: arguments.from.flatMap(ConfigValueParser.duration) ?? jobFile?.window.start,
                                end: arguments.to.flatMap(ConfigValueParser.duration) ?? jobFile?.window.end)
        let first = arguments.rerun.flatMap(RerunPolicy.init(rawValue:)) ?? jobFile?.rerun
        let live = job.kind == .stream
        // A later attempt of a batch job resumes what the earlier one wrote; a live camera goes on (append)
        // and reports the time nobody held it.
        var options = RunOptions(mode: live ? .stream : .batch, window: window, inputOverrides: overrides,
                                 logger: jobLogger(job), rerun: !live && claimed.earlierAttempts > 0 ? .resume : first,
                                 renderer: OpenCVRenderer())
        options.clipMaker = MediaClipMaker()
        options.lease = control.lease
        options.cameras = arguments.cameras ?? [:]
        if live, claimed.earlierAttempts > 0 { options.handover = try await queue.handover(of: job) }

        guard let (source, folder) = jobFile?.folderInputs.first else {
            try FootageSettings.apply(jobFile, spec: spec, overrides: options.inputOverrides, to: &options)
            let summary = try await run(spec, options, control, reporting: live ? claimed : nil)
            return try result(["runs": [summary]], stopped: summary.status == .stopped)
        }
        // One run per recording of the folder (its own inputs, so its own rows, checkpoints and rerun rules).
        var files = try FootageFolder.list(folder.files).map(FootageFolder.fingerprint)
        let processed = ProcessedInputs(database: queue.database)
        if folder.newOnly { files = try await processed.unprocessed(job: arguments.file, files: files) }
        var summaries: [RunSummary] = []
        for (index, file) in files.enumerated() {
            if control.shutdown.isRequested { break }
            options.inputOverrides[source] = file.path
            try FootageSettings.apply(jobFile, spec: spec, overrides: options.inputOverrides, to: &options)
            let summary = try await run(spec, options, control)
            summaries.append(summary)
            // A truncated recording is processed as far as it goes, and counts as processed.
            guard summary.status == .completed || summary.status == .truncated else { break }
            try await processed.record(job: arguments.file, file: file, jobID: job.id)
            try? await queue.recordProgress(claimed, progress: """
                {"files_done": \(index + 1), "files": \(files.count)}
                """)
        }
        return try result(["runs": summaries, "files": files.map(\.path)],
                          stopped: summaries.count < files.count || summaries.last?.status == .stopped)
    }

    /// Runs the pipeline; with `reporting`, a live job's frames and dropped frames go to its `progress`
    /// every 2 s (for `/ws/system` and the task's status on any server).
    private func run(_ spec: PipelineSpec, _ options: RunOptions, _ control: JobControl,
                     reporting claimed: ClaimedJob? = nil) async throws -> RunSummary {
        let progress = RunProgress()
        let reporter = claimed.map { claimed in
            Task { [queue] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(2))
                    let done = progress.snapshot.done, dropped = progress.droppedCount
                    try? await queue.recordProgress(claimed, progress: #"{"frames": \#(done), "dropped_frames": \#(dropped)}"#)
                }
            }
        }
        defer { reporter?.cancel() }
        let summary = try await PipelineRunner(spec: spec, options: options, shutdown: control.shutdown, progress: progress).run()
        if summary.status == .failed {
            // A lost lease is not the job's failure: the worker gives the job up without recording anything.
            if summary.errors.contains(where: { $0.contains(RunStore.leaseLostPhrase) }) {
                throw VigilError(.leaseLost, summary.errors.joined(separator: "; "))
            }
            throw VigilError(.stageFailed, summary.errors.joined(separator: "; "), subject: spec.file)
        }
        return summary
    }

    private func result(_ parts: [String: Any], stopped: Bool) throws -> String {
        var object: [String: Any] = ["stopped": stopped]
        for (key, value) in parts {
            if let summaries = value as? [RunSummary] {
                object[key] = try summaries.map { try JSONSerialization.jsonObject(with: $0.json()) }
            } else {
                object[key] = value
            }
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    private func jobLogger(_ job: Job) -> Logger {
        var logger = self.logger
        logger[metadataKey: "job.id"] = "\(job.id)"
        return logger
    }
}
