import Foundation
import VigilCore
import VigilMedia
import VigilPipeline

/// The job's footage settings, for `vigil run` and for workers (once per recording of a folder).
enum FootageSettings {
    /// Each source's recorded time (its file's `creation_time` or name, or the declared start) and
    /// `on_truncated`, for the run policy every stage sees.
    static func apply(_ job: JobFile?, spec: PipelineSpec, overrides: [String: String],
                              to options: inout RunOptions) throws {
        guard let job else { return }
        options.onTruncated = job.onTruncated
        guard let timeOrigin = job.timeOrigin else { return }
        var inputs: [String: String] = [:]
        for source in spec.sources {
            if let input = overrides[source.id] ?? source.spec.sourceURL { inputs[source.id] = input }
        }
        options.timeOrigins = try timeOrigin.origins(for: inputs, runStart: Date()) { input in
            try MediaProbe.probe(input).creationTime
        }
    }
}
