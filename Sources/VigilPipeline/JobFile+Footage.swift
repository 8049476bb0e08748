public import Foundation
import VigilCore

/// Where the rows of a job's recordings get their wall-clock time: job file keys `time_origin`,
/// `time_from_name` and `time_zone`.
///
/// ```yaml
/// time_origin: recorded              # run_start (default) | recorded | an ISO 8601 time
/// time_from_name: "%Y%m%d_%H%M%S"    # the recorded time is in the file name (implies recorded)
/// time_zone: Europe/Paris            # of the time in the name; default UTC
/// ```
///
/// `recorded` takes each file's time from its name when `time_from_name` is given, else from its
/// container's `creation_time`; a file without one is an error naming it (never a silent fallback
/// to the processing time, which would put yesterday's footage in today's partitions). An ISO 8601
/// time is the declared start of every input; `run_start` is when the run started. Whatever the job
/// says wins over the pipeline's own `time_origin` keys (`postgres`, `export`, `alert`); a live
/// stream's capture times win over it.
public enum JobTimeOrigin: Sendable, Hashable {
    /// When the run started: processing time.
    case runStart
    /// The declared wall-clock time of media time 0, the same for every input.
    case declared(Date)
    /// Each file's container `creation_time`.
    case creationTime
    /// Each file's name, read with the pattern in the time zone.
    case fileName(FileNameTimePattern, TimeZone)

    /// The origin of each input (source id -> path or URL). `creationTime` reads a file's tag (the
    /// caller opens media; `nil` when it has none). Every input that has no time is named in one error.
    public func origins(for inputs: [String: String], runStart: Date,
                        creationTime: (String) throws -> Date?) throws -> [String: Date] {
        var origins: [String: Date] = [:]
        var problems: [String] = []
        for (source, input) in inputs.sorted(by: { $0.key < $1.key }) {
            switch self {
            case .runStart: origins[source] = runStart
            case .declared(let date): origins[source] = date
            case .creationTime:
                do {
                    if let date = try creationTime(input) { origins[source] = date } else {
                        problems.append("\(input): no creation_time in its container, so when it was recorded is unknown; "
                            + "give the job time_from_name or a declared time_origin (an ISO 8601 time)")
                    }
                } catch {
                    problems.append("\(error)")
                }
            case .fileName(let pattern, let zone):
                if let date = pattern.date(inNameOf: input, timeZone: zone) { origins[source] = date } else {
                    let name = input.split(separator: "/").last.map(String.init) ?? input
                    let example = pattern.example(Date(timeIntervalSince1970: 1_704_105_005), timeZone: TimeZone(identifier: "UTC")!)
                    problems.append("\(input): the file name '\(name)' does not match time_from_name '\(pattern)' "
                        + "(a matching name contains, e.g., \(example))")
                }
            }
        }
        if !problems.isEmpty {
            throw VigilError(.invalidArgument, "the recorded time of "
                + (problems.count == 1 ? "an input is unknown: " : "\(problems.count) inputs is unknown:\n  ")
                + problems.joined(separator: "\n  "))
        }
        return origins
    }
}

extension JobFile {
    /// Reads `time_origin`, `time_from_name` and `time_zone`; `nil` when none is given.
    static func readTimeOrigin(_ config: ConfigReader) -> JobTimeOrigin? {
        let originNode = config.raw("time_origin"), nameNode = config.raw("time_from_name"), zoneNode = config.raw("time_zone")
        var zone = TimeZone(identifier: "UTC")!
        if let zoneNode {
            if let text = zoneNode.scalar, let found = TimeZone(identifier: text) { zone = found } else {
                config.error("invalid value '\(zoneNode.scalar ?? zoneNode.shapeName)' for 'time_zone': expected an IANA time zone "
                    + "such as UTC or Europe/Paris", at: zoneNode.location)
            }
            if nameNode == nil { config.error("'time_zone' applies to the time in file names; add time_from_name", at: zoneNode.location) }
        }
        var origin: JobTimeOrigin?
        if let originNode {
            let text = originNode.scalar
            if text == "run_start" {
                origin = .runStart
            } else if text == "recorded" {
                origin = .creationTime
            } else if let date = text.flatMap(ISO8601DateFormatter().date(from:)) {
                origin = .declared(date)
            } else {
                config.error("invalid value '\(originNode.scalar ?? originNode.shapeName)' for 'time_origin': expected run_start, "
                    + "recorded or an ISO 8601 time such as 2024-05-01T08:00:00Z", at: originNode.location)
            }
        }
        guard let nameNode else { return origin }
        guard let text = nameNode.scalar else {
            config.error("'time_from_name' must be a pattern such as \"%Y%m%d_%H%M%S\", found \(nameNode.shapeName)", at: nameNode.location)
            return origin
        }
        let pattern: FileNameTimePattern
        do { pattern = try FileNameTimePattern(text) } catch {
            config.error(error.message, at: nameNode.location)
            return origin
        }
        switch origin {
        case nil, .creationTime?, .fileName?: return .fileName(pattern, zone)
        case .runStart?, .declared?:
            config.error("'time_from_name' reads the recorded time from the file name; it cannot be combined with time_origin: "
                + "\(originNode?.scalar ?? "")", at: nameNode.location)
            return origin
        }
    }
}
