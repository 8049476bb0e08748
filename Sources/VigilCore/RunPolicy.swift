public import struct Foundation.Date

/// What to do with the results of an earlier run of the same pipeline over the same inputs.
public enum RerunPolicy: String, Sendable, CaseIterable {
    /// Delete the earlier run's rows, then write afresh (the batch default: re-running never duplicates).
    case replace
    /// Continue the earlier run after its last committed checkpoint, skipping what it already wrote.
    case resume
    /// Keep earlier runs and add a new one (the stream default: live data never repeats).
    case append

    /// The policy chosen by `vigil run`'s flags; `nil` when neither is given (each sink then applies
    /// the default of the run mode). Both flags together are an error.
    public static func fromFlags(resume: Bool, replace: Bool) throws -> RerunPolicy? {
        switch (resume, replace) {
        case (true, true):
            throw VigilError(.invalidArgument, "--resume and --replace exclude each other: --resume continues the "
                + "previous run after its checkpoint, --replace deletes its rows and starts again")
        case (true, false): return .resume
        case (false, true): return .replace
        case (false, false): return nil
        }
    }

    /// The policy used when none was chosen.
    public static func `default`(for mode: RunMode) -> RerunPolicy { mode == .batch ? .replace : .append }
}

/// What a recorded file that ends before its container says it should (a recording cut by a power
/// loss) does to the run: the frames up to the cut are processed either way.
public enum TruncationPolicy: String, Sendable, CaseIterable {
    /// The source ends at the cut and the run is recorded as `truncated` (the default).
    case complete
    /// The source fails at the cut, and with it the run; what was written before stays.
    case fail
}

/// Facts about the whole run that sinks recording results need: how to treat earlier runs, which
/// pipeline (by content) ran, over which inputs. Set by `vigil run` on every stage's ``StageContext``.
public struct RunPolicy: Sendable, Hashable {
    /// `--resume` / `--replace`; `nil` for the mode's default (``RerunPolicy/default(for:)``).
    public var rerun: RerunPolicy?
    /// Hash of the pipeline file's content (hex), to refuse resuming a run of an edited pipeline.
    public var pipelineHash: String
    /// Source id -> input URL or path, after `--input` overrides: identifies "the same inputs".
    public var inputs: [String: String]
    /// The job lease this run is written under (`vigil worker`), `nil` for a run started by hand.
    public var lease: LeaseFence?
    /// A live camera taken over from another worker: live sources report the time nobody held it as a
    /// `stream_gap` event before their first frame.
    public var handover: Handover?
    /// Source id -> wall-clock time of the source's media time 0, as the job file declares it (the
    /// recorded time of a file, a declared start, or the run's start). It wins over the components' own
    /// `time_origin` keys; a frame's capture time (live streams) wins over it. Empty when the job says
    /// nothing: each component then uses its own `time_origin`, else its default.
    public var timeOrigins: [String: Date]
    /// The job file's `on_truncated`; `nil` leaves it to each source's own setting.
    public var onTruncated: TruncationPolicy?
    /// Source id -> id of the camera its results belong to (a processing task over cameras created through
    /// the API): result sinks write under that camera and its tenant instead of registering a camera named
    /// after the source in the default tenant.
    public var cameras: [String: Int] = [:]

    public init(rerun: RerunPolicy? = nil, pipelineHash: String = "", inputs: [String: String] = [:],
                timeOrigins: [String: Date] = [:], onTruncated: TruncationPolicy? = nil, lease: LeaseFence? = nil,
                handover: Handover? = nil) {
        self.rerun = rerun; self.pipelineHash = pipelineHash; self.inputs = inputs
        self.timeOrigins = timeOrigins; self.onTruncated = onTruncated; self.lease = lease; self.handover = handover
    }
}

/// A live camera's job passing from one worker to another (rescued after a crash, or handed back).
public struct Handover: Sendable, Hashable {
    /// When the previous holder last wrote for the camera.
    public var since: Date
    /// The previous holder, when known.
    public var from: String?
    public init(since: Date, from: String?) { self.since = since; self.from = from }
}

/// A fencing token: the job whose lease a run is written under and the lease's epoch. Every commit of
/// the run presents it; once the job was rescued or claimed again (a new epoch), the old holder's commits
/// are refused, however late it wakes up.
public struct LeaseFence: Sendable, Hashable {
    public var jobID: Int
    public var epoch: Int
    public init(jobID: Int, epoch: Int) { self.jobID = jobID; self.epoch = epoch }
}

extension VigilError.Code {
    /// The job's lease passed to another worker: this process must not write for it any more.
    public static let leaseLost = VigilError.Code("lease_lost")
}
