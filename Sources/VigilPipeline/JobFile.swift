public import Foundation
import VigilConfig
public import VigilCore

/// A batch job: which pipeline to run over which recorded inputs, in which time window, and what to do
/// with an earlier run's results. Lives in `jobs/`; `vigil run` accepts it in place of a pipeline.
///
/// ```yaml
/// pipeline: ../Pipelines/site-tracking.yaml   # relative to this file
/// inputs:
///   plaza: samples/vtest.avi                   # source id -> file or URL
/// from: 0s
/// to: 1m
/// rerun: replace                               # replace | resume | append
/// time_origin: recorded                        # footage time: see JobTimeOrigin (JobFile+Footage.swift)
/// on_truncated: complete                       # complete | fail
/// ```
///
/// A job run by workers on a schedule over a footage folder (`vigil worker`, `vigil jobs schedule`):
///
/// ```yaml
/// pipeline: ../Pipelines/site-tracking.yaml
/// schedule:
///   cron: "0 2 * * *"          # cron syntax, or @daily, @hourly ...
///   time_zone: Europe/Paris    # IANA name (default UTC)
///   missed: skip               # skip | catch_up: fire times missed while no worker ran
/// inputs:
///   plaza:
///     files: /footage/plaza/*.avi   # a folder, or a glob in its last part
///     new_only: true                # each file once; a replaced file again
/// ```
public struct JobFile: Sendable {
    public var file: String
    /// The pipeline file, resolved against the job file's folder.
    public var pipeline: String
    public var inputs: [String: String]
    /// Sources fed from a footage folder: one run per file.
    public var folderInputs: [String: FolderInput]
    public var window: TimeWindow
    public var rerun: RerunPolicy?
    public var schedule: JobSchedule?

    /// A source whose input is every recording of a folder or glob.
    public struct FolderInput: Sendable, Hashable {
        /// A folder, or a folder and a glob for the file names (`/footage/cam1/*.mp4`); relative paths are
        /// to the working directory, like the other inputs.
        public var files: String
        /// Process only files not processed by an earlier run of this job.
        public var newOnly: Bool
    }

    /// When workers run the job.
    public struct JobSchedule: Sendable, Hashable {
        public var cron: CronSchedule
        public var timeZone: TimeZone
        public var missed: MissedFires
        public var queue: String
    }
    /// Where the rows' wall-clock time comes from; `nil` leaves it to the pipeline.
    public var timeOrigin: JobTimeOrigin?
    /// What a truncated recording does to the run; `nil` leaves it to each source.
    public var onTruncated: TruncationPolicy?

    /// Whether the YAML at `path` is a job (it has a top-level `pipeline:` key) rather than a pipeline.
    public static func isJob(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0.hasPrefix("pipeline:") }
    }

    /// Reads and validates a job file, reporting every problem as `file:line:column`.
    public static func load(_ path: String, environment: [String: String]? = nil) throws -> JobFile {
        try ConfigFile.load(path, what: "the job file", environment: environment) { config in
            let pipeline = config.requiredString("pipeline") ?? ""
            var inputs: [String: String] = [:]
            var folders: [String: FolderInput] = [:]
            if let node = config.raw("inputs") {
                if let entries = node.entries {
                    for entry in entries {
                        if let value = entry.value.scalar {
                            inputs[entry.key] = value
                        } else if entry.value.entries != nil {
                            let folder = ConfigReader(entry.value, diagnostics: config.diagnostics)
                            if let files = folder.requiredString("files") {
                                folders[entry.key] = FolderInput(files: files,
                                                                 newOnly: folder.bool("new_only") ?? false)
                            }
                            folder.finish()
                        } else {
                            config.error("input '\(entry.key)' must be a path or URL, or a mapping with 'files:' (a "
                                + "folder or glob of recordings) and 'new_only:'", at: entry.value.location)
                        }
                    }
                } else {
                    config.error("'inputs' must map source ids to paths or URLs", at: node.location)
                }
            }
            if folders.count > 1 {
                config.error("only one input may be a folder of recordings (found \(folders.keys.sorted().joined(separator: ", ")))",
                             at: config.raw("inputs")?.location)
            }
            var schedule: JobSchedule?
            if let node = config.raw("schedule") {
                schedule = readSchedule(node, config)
            }
            let window = TimeWindow(start: config.duration("from"), end: config.duration("to"))
            if let start = window.start, let end = window.end, end <= start {
                config.error("'to' must be after 'from'", at: config.raw("to")?.location)
            }
            let rerun = config.choice("rerun", as: RerunPolicy.self)
            var job = JobFile(file: path, pipeline: resolve(pipeline, nextTo: path), inputs: inputs, folderInputs: folders,
                              window: window, rerun: rerun, schedule: schedule)
            job.timeOrigin = readTimeOrigin(config)
            job.onTruncated = config.choice("on_truncated", as: TruncationPolicy.self)
            return job
        }
    }

    /// `schedule: "0 2 * * *"` or a mapping with `cron`, `time_zone`, `missed` and `queue`.
    static func readSchedule(_ node: ConfigNode, _ config: ConfigReader) -> JobSchedule? {
        var cronText: String?
        var cronLocation = node.location
        var zone = TimeZone(identifier: "UTC")!
        var missed = MissedFires.skip
        var queue = "default"
        if let text = node.scalar {
            cronText = text
        } else if node.entries != nil {
            let reader = ConfigReader(node, diagnostics: config.diagnostics)
            cronText = reader.requiredString("cron")
            cronLocation = reader.raw("cron")?.location ?? node.location
            if let name = reader.string("time_zone") {
                if let found = TimeZone(identifier: name) { zone = found } else {
                    reader.error("unknown time zone '\(name)': expected an IANA name such as UTC or Europe/Paris",
                                 at: reader.raw("time_zone")?.location)
                }
            }
            missed = reader.choice("missed", as: MissedFires.self) ?? .skip
            queue = reader.string("queue") ?? "default"
            reader.finish()
        } else {
            config.error("'schedule' must be a cron expression or a mapping with 'cron:', 'time_zone:' and 'missed:'",
                         at: node.location)
            return nil
        }
        guard let cronText else { return nil }
        do {
            return JobSchedule(cron: try CronSchedule(cronText), timeZone: zone, missed: missed, queue: queue)
        } catch let error as VigilError {
            config.error(error.message, at: cronLocation)
        } catch {
            config.error("\(error)", at: cronLocation)
        }
        return nil
    }

    /// `relative` resolved against the folder of `file`, with `.` and `..` folded (`jobs/../P/x.yaml` -> `P/x.yaml`).
    static func resolve(_ relative: String, nextTo file: String) -> String {
        if relative.hasPrefix("/") { return relative }
        var parts = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().map(String.init)
        for part in relative.split(separator: "/").map(String.init) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != "..", !last.isEmpty || parts.count > 1 { parts.removeLast() } else { parts.append("..") }
            default: parts.append(part)
            }
        }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
