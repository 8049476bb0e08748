public import VigilCore
import Synchronization

/// Runs the jobs of some kinds (the composition root provides one that runs pipelines). The worker
/// knows jobs only through this protocol.
public protocol JobExecutor: Sendable {
    /// Runs `job` to its end, or until `control.stop` is requested (then it stops cleanly: a pipeline
    /// drains and commits what it has). Returns a JSON object (text) recorded as the job's result.
    func execute(_ job: ClaimedJob, control: JobControl) async throws -> String?
}

/// Why a worker asks a running job to stop.
public enum StopReason: String, Sendable {
    /// `vigil jobs cancel`: the job ends `cancelled`.
    case cancelled
    /// The worker is stopping or holds more than its share: the job goes back to the queue.
    case handBack = "hand_back"
    /// Another worker holds the job now: this one must not write for it any more.
    case leaseLost = "lease_lost"
}

/// The worker's side of a running job: the stop request and the lease its writes present.
public final class JobControl: Sendable {
    public let lease: LeaseFence
    /// Requested once a stop reason is set; hand it to the pipeline runner.
    public let shutdown = ShutdownSignal()
    private let reasonState = Mutex<StopReason?>(nil)

    public init(lease: LeaseFence) { self.lease = lease }

    /// The first reason given wins (a lost lease overrides everything: nothing may be written then).
    public func stop(_ reason: StopReason) {
        reasonState.withLock { current in
            if current == nil || reason == .leaseLost { current = reason }
        }
        shutdown.request()
    }

    public var stopReason: StopReason? { reasonState.withLock { $0 } }
}
