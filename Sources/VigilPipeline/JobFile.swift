import Foundation
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
public struct JobFile: Sendable {
    public var file: String
    /// The pipeline file, resolved against the job file's folder.
    public var pipeline: String
    public var inputs: [String: String]
    public var window: TimeWindow
    public var rerun: RerunPolicy?
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
            if let node = config.raw("inputs") {
                if let entries = node.entries {
                    for entry in entries {
                        if let value = entry.value.scalar { inputs[entry.key] = value } else {
                            config.error("input '\(entry.key)' must be a path or URL", at: entry.value.location)
                        }
                    }
                } else {
                    config.error("'inputs' must map source ids to paths or URLs", at: node.location)
                }
            }
            let window = TimeWindow(start: config.duration("from"), end: config.duration("to"))
            if let start = window.start, let end = window.end, end <= start {
                config.error("'to' must be after 'from'", at: config.raw("to")?.location)
            }
            let rerun = config.choice("rerun", as: RerunPolicy.self)
            var job = JobFile(file: path, pipeline: resolve(pipeline, nextTo: path), inputs: inputs, window: window, rerun: rerun)
            job.timeOrigin = readTimeOrigin(config)
            job.onTruncated = config.choice("on_truncated", as: TruncationPolicy.self)
            return job
        }
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
