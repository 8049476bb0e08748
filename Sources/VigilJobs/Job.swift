public import Foundation

/// What a job does.
public enum JobKind: String, Sendable, CaseIterable, Codable {
    /// A pipeline over recorded inputs, to their end.
    case run
    /// A live camera's pipeline, until stopped; counts against a worker's camera capacity.
    case stream
    case export
    case maintenance
}

/// Where a job is in its life: `available → running → completed | failed | cancelled`, and
/// `retryable` (waiting for its backoff) after a failed attempt that may be retried.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case available, running, retryable, completed, failed, cancelled

    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// A row of `jobs`.
public struct Job: Sendable {
    public var id: Int
    public var tenantID: Int
    public var kind: JobKind
    public var queue: String
    /// The kind's arguments, as JSON text.
    public var arguments: String
    public var priority: Int
    public var state: JobState
    public var attempt: Int
    public var maxAttempts: Int
    /// One JSON object per failed attempt: `{attempt, at, worker, error}`, as a JSON array.
    public var errors: String
    public var uniqueKey: String?
    public var leasedBy: String?
    public var leaseUntil: Date?
    public var leaseEpoch: Int
    public var cancelRequested: Bool
    public var progress: String?
    public var result: String?
    public var scheduledAt: Date
    public var createdAt: Date
    public var attemptedAt: Date?
    public var finishedAt: Date?
}

/// A job to enqueue.
public struct NewJob: Sendable {
    public var kind: JobKind
    public var queue: String
    public var arguments: String
    public var priority: Int
    public var maxAttempts: Int
    public var scheduledAt: Date?
    /// Enqueueing again while a job with this key is waiting, running or completed returns that job.
    public var uniqueKey: String?
    public var tenantID: Int

    public init(kind: JobKind, queue: String = "default", arguments: String = "{}", priority: Int = 0, maxAttempts: Int = 5,
                scheduledAt: Date? = nil, uniqueKey: String? = nil, tenantID: Int = 1) {
        self.kind = kind; self.queue = queue; self.arguments = arguments; self.priority = priority
        self.maxAttempts = maxAttempts; self.scheduledAt = scheduledAt; self.uniqueKey = uniqueKey; self.tenantID = tenantID
    }

    /// The queue a kind goes to when none is named.
    public static func defaultQueue(for kind: JobKind) -> String {
        switch kind {
        case .stream: "stream"
        case .export: "export"
        case .run, .maintenance: "default"
        }
    }
}

/// A job this worker holds: the lease's epoch is the fencing token its writes present.
public struct ClaimedJob: Sendable {
    public var job: Job
    public var epoch: Int { job.leaseEpoch }
    /// Attempts before this one (0 on the first): a later attempt resumes what an earlier one wrote.
    public var earlierAttempts: Int { job.attempt - 1 }
}
