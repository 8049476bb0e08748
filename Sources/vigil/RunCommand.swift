public import ArgumentParser
import Foundation
public import Logging
import ServiceLifecycle
import UnixSignals
public import VigilCore
import VigilPipeline
import VigilMedia
import VigilVision

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: in batch mode to the end of its inputs, in stream mode until SIGINT/SIGTERM.",
        discussion: """
        Batch mode processes recorded video as fast as possible, shows progress on a terminal, prints a
        summary and exits non-zero if any stage failed. Stream mode keeps live sources connected
        (reconnecting after drops) until it is asked to stop; then sources stop, in-flight frames drain
        and sinks flush before exit.

        Examples:
          vigil run Pipelines/people-detect.yaml
          vigil run Pipelines/people-detect.yaml --input camera=samples/bikes.mp4 --from 2s --to 8s
          vigil run Pipelines/people-detect.yaml --input camera=rtsp://10.0.0.5/live --mode stream
          vigil run jobs/site-tracking.yaml --metrics-json out/metrics.json
        """
    )

    @Argument(help: "Pipeline file, or a job file from jobs/ (a pipeline with its inputs, window and rerun policy).")
    var file: String

    @Option(name: .customLong("input"), help: ArgumentHelp("Replace a source's url.", valueName: "ID=URL"))
    var inputs: [String] = []

    @Option(help: "batch (to the end of the inputs) or stream (until stopped).")
    var mode: RunMode = .batch

    @Option(help: ArgumentHelp("Start of the time window to process, e.g. 30s, 1m30s, 00:01:30.", valueName: "T"))
    var from: String?

    @Option(help: ArgumentHelp("End of the time window to process.", valueName: "T"))
    var to: String?

    @Option(help: ArgumentHelp("Write per-stage counters and latencies as JSON.", valueName: "FILE"))
    var metricsJSON: String?

    @Option(help: "Messages each edge of the graph may buffer.")
    var channelCapacity = 8

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .notice

    @Flag(help: "Continue an earlier interrupted run of the same pipeline and inputs after its last committed checkpoint.")
    var resume = false

    @Flag(help: "Delete an earlier run's results for the same pipeline and inputs, then write afresh (the batch default).")
    var replace = false

    @Flag(help: "No progress bar and no summary.")
    var quiet = false

    func validate() throws {
        for input in inputs where !input.contains("=") {
            throw ArgumentParser.ValidationError("--input takes ID=URL, got '\(input)'")
        }
        if let from, ConfigValueParser.duration(from) == nil {
            throw ArgumentParser.ValidationError("--from: '\(from)' is not a time such as 30s, 1m30s or 00:01:30")
        }
        if let to, ConfigValueParser.duration(to) == nil {
            throw ArgumentParser.ValidationError("--to: '\(to)' is not a time such as 30s, 1m30s or 00:01:30")
        }
        do {
            _ = try RerunPolicy.fromFlags(resume: resume, replace: replace)
        } catch let error as VigilError {
            throw ArgumentParser.ValidationError(error.message)
        }
        if channelCapacity < 1 { throw ArgumentParser.ValidationError("--channel-capacity must be at least 1") }
    }

    func run() async throws {
        bootstrapLogging(logLevel)
        let logger = Logger(label: "vigil")
        var spec: PipelineSpec
        var job: JobFile?
        do {
            if JobFile.isJob(file) { job = try JobFile.load(file) }
            spec = try PipelineLoader(registry: StageKinds.registry).load(file: job?.pipeline ?? file)
        } catch {
            printError(error)
            throw ExitCode.failure
        }
        // A job file sets inputs, window and rerun policy; the command line overrides it.
        var overrides: [String: String] = job?.inputs ?? [:]
        for input in inputs {
            let parts = input.split(separator: "=", maxSplits: 1)
            overrides[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        // `--input cam=push:12`: the source takes the frames clients push to camera 12.
        let pushCameras = StageKinds.substitutePushInputs(in: &spec, overrides: overrides)
        let window = TimeWindow(start: from.flatMap(ConfigValueParser.duration) ?? job?.window.start,
                                end: to.flatMap(ConfigValueParser.duration) ?? job?.window.end)
        if let start = window.start, let end = window.end, end <= start {
            printError(VigilError(.invalidArgument, "--to must be after --from"))
            throw ExitCode.failure
        }
        var options = RunOptions(mode: mode, window: window, inputOverrides: overrides,
                                 channelCapacity: channelCapacity, logger: logger,
                                 rerun: try RerunPolicy.fromFlags(resume: resume, replace: replace) ?? job?.rerun,
                                 renderer: OpenCVRenderer())
        options.clipMaker = MediaClipMaker()
        options.cameras = pushCameras   // pushed frames' results belong to the camera they were pushed to
        do {
            try FootageSettings.apply(job, spec: spec, overrides: overrides, to: &options)
        } catch {
            printError(error)
            throw ExitCode.failure
        }
        let runner = PipelineRunner(spec: spec, options: options)
        let outcome = RunOutcome()
        let pipeline = PipelineService(runner: runner) { outcome.summary = $0 }
        var services = [ServiceGroupConfiguration.ServiceConfiguration(
            service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup,
            failureTerminationBehavior: .gracefullyShutdownGroup)]
        if !quiet, isatty(STDERR_FILENO) != 0 {
            services.append(.init(service: ProgressBar(progress: runner.progress)))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
            logger: Logger(label: "vigil.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        do {
            try await group.run()
        } catch {
            printError(error)
            throw ExitCode.failure
        }
        guard let summary = outcome.summary else { throw ExitCode.failure }
        if !quiet { printStandardError(summary.text + "\n") }
        if let metricsJSON {
            do {
                try summary.json().write(to: URL(fileURLWithPath: metricsJSON))
            } catch {
                printError(VigilError(.io, "cannot write metrics: \(error.localizedDescription)", subject: metricsJSON))
                throw ExitCode.failure
            }
        }
        if quiet { for truncation in summary.truncations { printStandardError("warning: \(truncation.description)\n") } }
        if summary.status == .failed {
            if quiet { for error in summary.errors { printStandardError("error: \(error)\n") } }
            throw ExitCode.failure
        }
    }

}

extension RunMode: ExpressibleByArgument {}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Where the pipeline service leaves its summary for the command.
final class RunOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: RunSummary?
    var summary: RunSummary? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
