import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import VigilCore
import VigilJobs
import VigilPipeline
import VigilStore

/// `vigil worker`: takes jobs from the queue in the shared database until SIGTERM/SIGINT.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs from the shared PostgreSQL queue until SIGTERM (running jobs are stopped cleanly and handed back).",
        discussion: """
        Any number of workers on any number of machines share one database ($DATABASE_URL or --database-url).
        A worker claims jobs under a lease it renews every --heartbeat seconds; when it dies, the leader (one of
        the workers) gives its jobs to others once the lease has expired, and the fencing token of the lease
        keeps a worker that lost a job from writing for it. The leader also fires the schedules of the job
        files in --jobs-dir.

        Examples:
          vigil worker --concurrency 2
          vigil worker --queues default,stream --capacity-cameras 8
        """)

    @OptionGroup var connection: DbConnectionOptions
    @OptionGroup var options: WorkerOptions
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: Logger.Level = .notice

    func validate() throws { try options.check() }

    func run() async throws {
        bootstrapLogging(logLevel)
        let logger = Logger(label: "vigil.worker")
        let url: DatabaseURL
        do {
            url = try await StoreLocation.resolve(connection.url, logger: logger)
        } catch {
            printError(error)
            throw ExitCode.failure
        }
        do {
            try await withDatabase(url, logger: logger, maxConnections: 4) { database in
                try await Migrator(database: database).migrate()
                let worker = options.worker(database: database, logger: logger)
                let group = ServiceGroup(configuration: ServiceGroupConfiguration(
                    services: [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup,
                                     failureTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
                    logger: Logger(label: "vigil.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
                try await group.run()
            }
        } catch {
            printError(error)
            throw ExitCode.failure
        }
    }
}

/// How a worker takes part: `vigil worker`, and the worker `vigil serve` embeds.
struct WorkerOptions: ParsableArguments {
    @Option(help: "Batch jobs (run, export, maintenance) held at once.") var concurrency = 1
    @Option(help: ArgumentHelp("Queues to take jobs from, comma-separated.", valueName: "a,b")) var queues = "default,stream,export"
    @Option(help: "Live cameras (stream jobs) held at once.") var capacityCameras = 4
    @Option(help: "Name among the workers (default: host-pid).") var name: String?
    @Option(help: "Seconds a lease lasts without renewal.") var lease = 20.0
    @Option(help: "Seconds between lease renewals (at most a third of --lease).") var heartbeat = 5.0
    @Option(help: "Seconds between looks at the queue when no notification arrives.") var poll = 5.0
    @Option(help: "Folder of job files whose schedule: the leader fires (none: no schedules).") var jobsDir = "jobs"

    func check() throws {
        if concurrency < 0 || capacityCameras < 0 { throw ArgumentParser.ValidationError("--concurrency and --capacity-cameras must be 0 or more") }
        if concurrency + capacityCameras == 0 { throw ArgumentParser.ValidationError("a worker with no capacity takes nothing") }
        if heartbeat <= 0 || lease < heartbeat * 3 {
            throw ArgumentParser.ValidationError("--heartbeat must be positive and --lease at least three heartbeats (got \(heartbeat) and \(lease))")
        }
        if queueList.isEmpty { throw ArgumentParser.ValidationError("--queues names no queue") }
    }

    var queueList: [String] { queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    /// A worker on `database` running pipelines, firing the schedules of `--jobs-dir` when it leads.
    func worker(database: Database, logger: Logger) -> Worker {
        let configuration = WorkerConfiguration(
            name: name ?? WorkerConfiguration.defaultName(), queues: queueList, concurrency: concurrency,
            capacityCameras: capacityCameras, lease: lease, heartbeat: heartbeat, poll: poll)
        let queue = JobQueue(database: database)
        let folder = jobsDir
        let schedules = ScheduleKeeper(queue: queue, logger: logger) { try JobFileSchedules.read(folder: folder, logger: logger) }
        let pipelines = PipelineJobExecutor(queue: queue, logger: logger)
        let executor = ExecutorsByKind([.run: pipelines, .stream: pipelines,
                                        .export: ExportJobExecutor(queue: queue, logger: logger),
                                        .maintenance: MaintenanceJobExecutor(database: database, logger: logger)])
        return Worker(queue: queue, executor: executor, configuration: configuration, schedules: schedules, logger: logger)
    }
}

/// The schedules of the job files in a folder.
enum JobFileSchedules {
    static func read(folder: String, logger: Logger) throws -> [ScheduledJob] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var out: [ScheduledJob] = []
        for name in names {
            let path = folder == "." ? name : (folder as NSString).appendingPathComponent(name)
            guard JobFile.isJob(path), let text = try? String(contentsOfFile: path, encoding: .utf8),
                  text.split(separator: "\n").contains(where: { $0.hasPrefix("schedule:") }) else { continue }
            do {
                let job = try JobFile.load(path)
                guard let schedule = job.schedule else { continue }
                out.append(ScheduledJob(name: path, cron: schedule.cron, timeZone: schedule.timeZone, missed: schedule.missed,
                                        queue: schedule.queue, arguments: RunJobArguments(file: path)))
            } catch {
                logger.warning("schedule not fired: the job file is invalid", metadata: ["file": "\(path)", "error": "\(error)"])
            }
        }
        return out
    }
}
