public import Logging
public import CoreMetrics
import Synchronization

/// How the pipeline runs.
public enum RunMode: String, Sendable, CaseIterable {
    /// To the end of the inputs, as fast as possible.
    case batch
    /// Until asked to stop; live sources reconnect.
    case stream
}

/// Raised once when the pipeline is asked to stop. Sources poll it and end their stream, so the
/// end-of-stream drains through the graph and sinks flush before the process exits.
public final class ShutdownSignal: Sendable {
    private let requested = Atomic<Bool>(false)
    public init() {}
    public var isRequested: Bool { requested.load(ordering: .acquiring) }
    public func request() { requested.store(true, ordering: .releasing) }
}

/// A time window of the inputs to process (batch work), in media seconds.
public struct TimeWindow: Hashable, Sendable {
    public var start: Double?
    public var end: Double?
    public init(start: Double? = nil, end: Double? = nil) { self.start = start; self.end = end }
    public static let all = TimeWindow()
}

/// What a stage is given when it is built.
public struct StageContext: Sendable {
    public var id: String
    /// Run-wide facts for result sinks (`--resume`/`--replace`, pipeline hash, inputs).
    public var runPolicy = RunPolicy()
    public var logger: Logger
    public var mode: RunMode
    public var shutdown: ShutdownSignal
    /// Pixels the stage's consumers need (sources honour it); `nil` when no consumer needs pixels.
    public var frameRequirement: FrameRequirement?
    /// Time window for batch runs (`--from`/`--to`).
    public var window: TimeWindow
    /// Input overrides from the command line (`--input ID=URL`), applied to sources by id.
    public var inputOverride: String?
    /// Ids of the sources upstream of this stage.
    public var upstreamSources: [String]
    /// Directory the pipeline file lives in, for resolving relative paths.
    public var baseDirectory: String
    /// Name of the pipeline (file name without extension).
    public var pipelineName: String
    /// Progress of the whole run; sources announce the frames they expect.
    public var progress: RunProgress
    /// The component's `buffer:` setting; sources apply it to the queue between their reading thread
    /// and the graph (the runtime applies it to the input queue of transforms and sinks).
    public var buffer = BufferSettings()
    /// Counts frames this component dropped (in `vigil_stage_dropped_total{stage}`): sources call it
    /// for frames a live input could not hand on in time.
    public var countDropped: @Sendable (Int) -> Void = { _ in }
    /// Where the component's own counters go (`Counter(label:dimensions:factory:)`): the run's metrics,
    /// next to the runtime's per-stage counters; the process-wide `MetricsSystem` outside a run.
    public var metrics: any MetricsFactory = MetricsSystem.factory
    /// Draws on frames and encodes pictures (evidence snapshots, overlays); `nil` when the run has none.
    public var renderer: (any FrameRenderer)?
    /// Cuts evidence clips from sources; `nil` when the run has none.
    public var clipMaker: (any ClipMaker)?

    public init(id: String, logger: Logger, mode: RunMode, shutdown: ShutdownSignal,
                frameRequirement: FrameRequirement?, window: TimeWindow = .all, inputOverride: String? = nil,
                upstreamSources: [String] = [], baseDirectory: String = ".", pipelineName: String = "pipeline",
                progress: RunProgress = RunProgress()) {
        self.id = id; self.logger = logger; self.mode = mode; self.shutdown = shutdown
        self.frameRequirement = frameRequirement; self.window = window; self.inputOverride = inputOverride
        self.upstreamSources = upstreamSources; self.baseDirectory = baseDirectory; self.pipelineName = pipelineName
        self.progress = progress
    }

    /// A path from the pipeline file, resolved against the file's directory when relative.
    public func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") || path.contains("://") { return path }
        return baseDirectory == "." ? path : baseDirectory + "/" + path
    }
}
