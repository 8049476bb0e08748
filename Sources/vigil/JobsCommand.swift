public import ArgumentParser
import Foundation
import Logging
import VigilCore
import VigilJobs
import VigilPipeline
import VigilStore

/// `vigil jobs ...` and `vigil workers list`: the shared job queue from the command line.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Submit, list, show, cancel and retry jobs of the shared queue; list schedules.",
        discussion: """
        Examples:
          vigil jobs submit jobs/vtest-site-tracking.yaml
          vigil jobs submit Pipelines/site-tracking.yaml --input plaza=samples/vtest.avi --unique-key plaza-2024-01-01
          vigil jobs list --state running
          vigil jobs show 12
          vigil jobs cancel 12
          vigil jobs schedule
        """,
        subcommands: [JobsSubmitCommand.self, JobsListCommand.self, JobsShowCommand.self, JobsCancelCommand.self,
                      JobsRetryCommand.self, JobsScheduleCommand.self])
}

extension JobState: ExpressibleByArgument {}
extension JobKind: ExpressibleByArgument {}

struct JobsSubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "Enqueue a pipeline or job file; prints the job id.")

    @OptionGroup var connection: DbConnectionOptions
    @Argument(help: "Pipeline or job file (relative to the workers' working directory); for --kind maintenance: noop, rollups or partitions; for --kind export: the file to write.")
    var file: String
    @Option(help: "run (to the end of the inputs), stream (a live camera, until stopped), export or maintenance.") var kind: JobKind = .run
    @Option(name: .customLong("input"), help: ArgumentHelp("Replace a source's url.", valueName: "ID=URL")) var inputs: [String] = []
    @Option(help: ArgumentHelp("Start of the time window: media time for run jobs (30s), ISO 8601 for exports.", valueName: "T"))
    var from: String?
    @Option(help: ArgumentHelp("End of the time window.", valueName: "T")) var to: String?
    @OptionGroup(title: "Export jobs") var export: ExportJobOptions
    @Option(help: "Queue (default: default for run jobs, stream for stream jobs).") var queue: String?
    @Option(help: "0 (first) to 9.") var priority = 0
    @Option(help: "Attempts before the job fails for good.") var maxAttempts = 5
    @Option(help: "Submitting again with the same key returns the existing job instead of a new one.") var uniqueKey: String?
    @Option(help: ArgumentHelp("Run no earlier than this many seconds from now.", valueName: "SECONDS")) var delay: Double?

    func run() async throws {
        var overrides: [String: String] = [:]
        for input in inputs {
            let parts = input.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                printError(VigilError(.invalidArgument, "--input takes ID=URL, got '\(input)'"))
                throw ExitCode.failure
            }
            overrides[parts[0]] = parts[1]
        }
        let json: String
        switch kind {
        case .maintenance:
            guard ["noop", "rollups", "partitions"].contains(file) else {
                printError(VigilError(.invalidArgument, "maintenance task '\(file)': expected noop, rollups or partitions"))
                throw ExitCode.failure
            }
            json = #"{"task": "\#(file)"}"#
        case .export:
            let arguments = export.arguments(path: file, from: from, to: to)
            do {
                _ = try ExportJobExecutor.query(arguments)
            } catch {
                printError(error)
                throw ExitCode.failure
            }
            json = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
        case .run, .stream:
            do {
                // Refuse now what a worker would refuse later.
                let job = JobFile.isJob(file) ? try JobFile.load(file) : nil
                _ = try PipelineLoader(registry: StageKinds.registry).load(file: job?.pipeline ?? file)
            } catch {
                printError(error)
                throw ExitCode.failure
            }
            let arguments = RunJobArguments(file: file, inputs: overrides.isEmpty ? nil : overrides, from: from, to: to)
            json = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
        }
        let new = NewJob(kind: kind, queue: queue ?? NewJob.defaultQueue(for: kind), arguments: json, priority: priority,
                         maxAttempts: maxAttempts, scheduledAt: delay.map { Date().addingTimeInterval($0) }, uniqueKey: uniqueKey)
        try await connection.withDB { db in
            try await Migrator(database: db).migrate()
            let (job, inserted) = try await JobQueue(database: db).enqueue(new)
            print(inserted ? "\(job.id)" : "\(job.id) (already enqueued with key '\(uniqueKey ?? "")', \(job.state.rawValue))")
        }
    }
}

/// What an export job exports (`vigil jobs submit --kind export FILE ...`), as `vigil export` takes it.
struct ExportJobOptions: ParsableArguments {
    @Option(help: "track_points, tracks, identities, events or aggregates.") var dataset = "track_points"
    @Option(help: "csv, jsonl, json, mot or geojson.") var format = "csv"
    @Option(name: .customLong("camera"), help: ArgumentHelp("A camera name; repeat for several.", valueName: "NAME"))
    var cameras: [String] = []
    @Option(name: .customLong("class"), help: ArgumentHelp("A class label; repeat for several.", valueName: "LABEL"))
    var classes: [String] = []
    @Option(name: .customLong("global-id"), help: ArgumentHelp("A global identity; repeat for several.", valueName: "ID"))
    var globalIDs: [Int] = []
    @Option(help: ArgumentHelp("Only this run's rows.", valueName: "ID")) var run: Int?
    @Option(help: ArgumentHelp("Only this tenant's cameras.", valueName: "ID")) var tenant: Int?

    func arguments(path: String, from: String?, to: String?) -> ExportJobArguments {
        ExportJobArguments(dataset: dataset, format: format, path: path, from: from, to: to,
                           cameras: cameras.isEmpty ? nil : cameras, classes: classes.isEmpty ? nil : classes,
                           globalIDs: globalIDs.isEmpty ? nil : globalIDs, run: run, tenant: tenant)
    }
}

struct JobsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Jobs, newest first.")
    @OptionGroup var connection: DbConnectionOptions
    @Option(help: "Only jobs in this state.") var state: JobState?
    @Option(help: "Only jobs of this queue.") var queue: String?
    @Option(help: "How many.") var limit = 50

    func run() async throws {
        try await connection.withDB { db in
            try await Migrator(database: db).migrate()
            let jobs = try await JobQueue(database: db).list(state: state, queue: queue, limit: limit)
            if jobs.isEmpty { print("no jobs"); return }
            print(JobText.table(jobs))
        }
    }
}

struct JobsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One job, with its arguments, errors and result.")
    @OptionGroup var connection: DbConnectionOptions
    @Argument var id: Int

    func run() async throws {
        try await connection.withDB { db in
            try await Migrator(database: db).migrate()
            guard let job = try await JobQueue(database: db).job(id: id) else {
                printError(VigilError(.invalidArgument, "there is no job \(id)"))
                throw ExitCode.failure
            }
            print(JobText.detail(job))
        }
    }
}

struct JobsCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a waiting job, or ask a running job's worker to stop its pipeline.")
    @OptionGroup var connection: DbConnectionOptions
    @Argument var id: Int

    func run() async throws {
        try await connection.withDB { db in
            try await Migrator(database: db).migrate()
            let job = try await JobQueue(database: db).cancel(id: id)
            print(job.state == .running ? "job \(id): cancel requested; \(job.leasedBy ?? "its worker") stops it"
                  : "job \(id) cancelled")
        }
    }
}

struct JobsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Make a failed, cancelled or completed job available again.")
    @OptionGroup var connection: DbConnectionOptions
    @Argument var id: Int

    func run() async throws {
        try await connection.withDB { db in
            try await Migrator(database: db).migrate()
            let job = try await JobQueue(database: db).retry(id: id)
            print("job \(job.id) is available again (attempt \(job.attempt + 1) of \(job.maxAttempts))")
        }
    }
}

struct JobsScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schedule", abstract: "The schedules of the job files and their next fire times.")
    @OptionGroup var connection: DbConnectionOptions
    @Option(help: "Folder of job files.") var jobsDir = "jobs"
    @Option(help: "Fire times to show per schedule.") var count = 3

    func run() async throws {
        let logger = connection.logger
        let folder = jobsDir
        try await connection.withDB { db in
            try await Migrator(database: db).migrate()
            let keeper = ScheduleKeeper(queue: JobQueue(database: db), logger: logger) {
                try JobFileSchedules.read(folder: folder, logger: logger)
            }
            let upcoming = try await keeper.upcoming(count: count)
            if upcoming.isEmpty { print("no job file in \(folder) has a schedule"); return }
            for entry in upcoming {
                print("\(entry.schedule.name)  \(entry.schedule.cron)  (\(entry.schedule.timeZone.identifier), missed: "
                      + "\(entry.schedule.missed.rawValue))")
                print("  last fired: \(entry.last.map { $0.ISO8601Format() } ?? "never (counting starts when a worker first leads)")")
                for fire in entry.next { print("  next: \(JobText.local(fire, entry.schedule.timeZone))") }
            }
        }
    }
}

struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers", abstract: "The workers sharing the queue.", subcommands: [WorkersListCommand.self])
}

struct WorkersListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Workers: alive, capacity, what each holds.")
    @OptionGroup var connection: DbConnectionOptions

    func run() async throws {
        try await connection.withDB { db in
            try await Migrator(database: db).migrate()
            let workers = try await JobQueue(database: db).workers()
            if workers.isEmpty { print("no workers"); return }
            for w in workers {
                let held = w.held.isEmpty ? "nothing" : w.held.map { "\($0.id) (\($0.kind.rawValue))" }.joined(separator: ", ")
                print("\(w.name)\(w.leader ? " [leader]" : "")  \(w.alive ? (w.stopping ? "stopping" : "alive") : "silent")  "
                      + "host \(w.host) pid \(w.pid)  queues \(w.queues.joined(separator: ","))  concurrency \(w.concurrency)  "
                      + "cameras \(w.capacityCameras)  heartbeat \(w.heartbeatAt.ISO8601Format())  holds \(held)")
            }
        }
    }
}

/// How jobs read on a terminal.
enum JobText {
    static func table(_ jobs: [Job]) -> String {
        var lines = ["ID      KIND    QUEUE     STATE      ATTEMPT  WORKER                  CREATED"]
        for j in jobs {
            lines.append(pad("\(j.id)", 8) + pad(j.kind.rawValue, 8) + pad(j.queue, 10) + pad(j.state.rawValue, 11)
                         + pad("\(j.attempt)/\(j.maxAttempts)", 9) + pad(j.leasedBy ?? "-", 24) + j.createdAt.ISO8601Format())
        }
        return lines.joined(separator: "\n")
    }

    static func detail(_ j: Job) -> String {
        var lines = ["job \(j.id): \(j.kind.rawValue) on queue \(j.queue), \(j.state.rawValue)",
                     "  attempt \(j.attempt) of \(j.maxAttempts), priority \(j.priority), lease epoch \(j.leaseEpoch)",
                     "  arguments: \(j.arguments)",
                     "  created \(j.createdAt.ISO8601Format()), scheduled \(j.scheduledAt.ISO8601Format())"]
        if let key = j.uniqueKey { lines.append("  unique key: \(key)") }
        if let worker = j.leasedBy { lines.append("  held by \(worker) until \(j.leaseUntil?.ISO8601Format() ?? "?")") }
        if j.cancelRequested { lines.append("  cancel requested") }
        if let progress = j.progress { lines.append("  progress: \(progress)") }
        if let finished = j.finishedAt { lines.append("  finished \(finished.ISO8601Format())") }
        if j.errors != "[]" { lines.append("  errors: \(j.errors)") }
        if let result = j.result { lines.append("  result: \(result)") }
        return lines.joined(separator: "\n")
    }

    static func local(_ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ v: Int?) -> String { String(format: "%02d", v ?? 0) }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)) \(zone.identifier) "
            + "(\(date.ISO8601Format()))"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
