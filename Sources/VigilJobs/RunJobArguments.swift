/// The arguments of a `run` or `stream` job: a pipeline or job file and what `vigil run` would take.
public struct RunJobArguments: Codable, Sendable, Equatable {
    /// Pipeline file, or a job file from `jobs/` (relative paths: to the worker's working directory).
    public var file: String
    /// Source id -> input URL or path, overriding the file's.
    public var inputs: [String: String]?
    /// Media time window, as `vigil run --from/--to` take it (`30s`, `1m30s`).
    public var from: String?
    public var to: String?
    /// `replace`, `resume` or `append` for the first attempt; later attempts always resume.
    public var rerun: String?
    /// The fire time of the schedule that enqueued the job (ISO 8601), if one did.
    public var firedAt: String?
    /// Source id -> camera id: the cameras (and so the tenant) the results belong to (processing tasks).
    public var cameras: [String: Int]?
    /// Values for the pipeline file's `${NAME}` references, over the worker's environment: a per-user
    /// instance of a shared pipeline (a driver's subject, calibration and thresholds).
    public var variables: [String: String]?

    public init(file: String, inputs: [String: String]? = nil, from: String? = nil, to: String? = nil, rerun: String? = nil,
                firedAt: String? = nil, cameras: [String: Int]? = nil, variables: [String: String]? = nil) {
        self.file = file; self.inputs = inputs; self.from = from; self.to = to; self.rerun = rerun; self.firedAt = firedAt
        self.cameras = cameras; self.variables = variables
    }

    enum CodingKeys: String, CodingKey {
        case file, inputs, from, to, rerun, cameras, variables
        case firedAt = "fired_at"
    }
}
