public import Foundation
public import Logging
import Metrics
import Synchronization
public import VigilCore

/// How to run a pipeline.
public struct RunOptions: Sendable {
    public var mode: RunMode
    public var window: TimeWindow
    /// `--input ID=URL`: replaces the `url` of the source with that id.
    public var inputOverrides: [String: String]
    /// Messages each edge may hold; a full edge slows its producer.
    public var channelCapacity: Int
    public var logger: Logger
    /// `--resume` / `--replace`: what result sinks do with an earlier run of the same pipeline and
    /// inputs; `nil` for the mode's default.
    public var rerun: RerunPolicy?
    /// Handed to every stage (evidence snapshots, overlays).
    public var renderer: (any FrameRenderer)?
    /// Handed to every stage (evidence clips).
    public var clipMaker: (any ClipMaker)?
    /// The job lease the run is written under (set by `vigil worker`): result sinks commit only while
    /// it is still held.
    public var lease: LeaseFence?
    /// Set when a live camera's job passed from another worker (see ``Handover``).
    public var handover: Handover?
    /// Source id -> wall-clock time of its media time 0, as the job declares it (``RunPolicy/timeOrigins``).
    public var timeOrigins: [String: Date] = [:]
    /// The job's `on_truncated` (``RunPolicy/onTruncated``).
    public var onTruncated: TruncationPolicy?
    /// Source id -> camera id (``RunPolicy/cameras``).
    public var cameras: [String: Int] = [:]
    /// Media seconds between the state snapshots stages with state write in batch runs, so that a resume
    /// seeks to the last committed one instead of replaying the inputs (``ResumePlan``).
    public var snapshotInterval: Double = 10

    public init(mode: RunMode = .batch, window: TimeWindow = .all, inputOverrides: [String: String] = [:],
                channelCapacity: Int = 8, logger: Logger = Logger(label: "vigil"), rerun: RerunPolicy? = nil,
                renderer: (any FrameRenderer)? = nil) {
        self.mode = mode; self.window = window; self.inputOverrides = inputOverrides
        self.channelCapacity = channelCapacity; self.logger = logger; self.rerun = rerun; self.renderer = renderer
    }
}

/// Runs a validated pipeline: one task per component, linked by bounded channels.
///
/// Every component is preflighted (model files, database) and built before any source starts. A
/// component that fails ends its output (downstream drains what it already has, sinks flush) and
/// the run is reported as failed; results already written stay written.
public final class PipelineRunner: Sendable {
    public let spec: PipelineSpec
    public let options: RunOptions
    public let metrics: PipelineMetrics
    public let shutdown: ShutdownSignal
    public let progress: RunProgress

    public init(spec: PipelineSpec, options: RunOptions, metrics: PipelineMetrics = PipelineMetrics(),
                shutdown: ShutdownSignal = ShutdownSignal(), progress: RunProgress = RunProgress()) {
        self.spec = spec; self.options = options; self.metrics = metrics
        self.shutdown = shutdown; self.progress = progress
    }

    /// Edges of the running graph. Each (producer, consumer) pair is a channel in batch mode; in
    /// stream mode a consumer's inputs share one channel (arrival order).
    struct Wiring: Sendable {
        var inputs: [String: [BoundedChannel]] = [:]
        /// Consumers of each component. Transforms receive every message (they forward what they do not
        /// process, so a source's `stream_gap` events reach the sinks); sinks only what they accept.
        var outputs: [String: [(consumer: String, accepts: Set<PortType>?, channel: BoundedChannel)]] = [:]
    }

    /// Each consumer's input queues follow its `buffer:` setting (default: `--channel-capacity`
    /// messages, blocking); frames they drop count in its `vigil_stage_dropped_total`.
    func wire() -> Wiring {
        var wiring = Wiring()
        for component in spec.components where component.role != .source {
            let upstream = component.inputs
            let accepts: Set<PortType>? = component.role == .transform ? nil : component.spec.inputPorts
            let capacity = component.buffer.maxEvents ?? options.channelCapacity
            let policy = component.buffer.whenFull ?? .block
            let dropped = droppedCounter(component.id)
            let onDrop: @Sendable () -> Void = { dropped.increment() }
            if options.mode == .stream || upstream.count == 1 || !independent(upstream) {
                let shared = BoundedChannel(capacity: capacity, producers: upstream.count, policy: policy, onDrop: onDrop)
                wiring.inputs[component.id] = [shared]
                for input in upstream {
                    wiring.outputs[input, default: []].append((component.id, accepts, shared))
                }
            } else {
                for input in upstream {
                    let channel = BoundedChannel(capacity: capacity, producers: 1, policy: policy, onDrop: onDrop)
                    wiring.inputs[component.id, default: []].append(channel)
                    wiring.outputs[input, default: []].append((component.id, accepts, channel))
                }
            }
        }
        return wiring
    }

    /// Whether no two of `inputs` descend from the same source. Only then are they merged in timestamp
    /// order: inputs that share a source (a diamond, e.g. a sink reading both an `alert` stage and the
    /// `aggregate` behind it) must not wait on each other — the slower path only emits after the faster
    /// one has moved on, and bounded channels would deadlock — so they arrive in arrival order.
    func independent(_ inputs: [String]) -> Bool {
        var seen: Set<String> = []
        for input in inputs {
            let sources = spec.graph.node(input)?.role == .source ? [input] : spec.graph.upstreamSources(of: input)
            for source in sources where !seen.insert(source).inserted { return false }
        }
        return true
    }

    /// The run-wide facts result sinks record: rerun policy, pipeline version, inputs (with overrides).
    var runPolicy: RunPolicy {
        var inputs: [String: String] = [:]
        for source in spec.sources {
            inputs[source.id] = options.inputOverrides[source.id] ?? source.spec.sourceURL ?? source.id
        }
        if let start = options.window.start { inputs["@from"] = "\(start)" }
        if let end = options.window.end { inputs["@to"] = "\(end)" }
        // Two cameras may show the same recording: their runs are different runs.
        for (source, camera) in options.cameras { inputs["@camera:\(source)"] = "\(camera)" }
        var policy = RunPolicy(rerun: options.rerun, pipelineHash: spec.contentHash, inputs: inputs,
                               timeOrigins: options.timeOrigins, onTruncated: options.onTruncated, lease: options.lease,
                               handover: options.handover)
        policy.cameras = options.cameras
        return policy
    }

    func context(for component: PipelineSpec.Component) -> StageContext {
        var logger = options.logger
        logger[metadataKey: "stage.id"] = "\(component.id)"
        var context = StageContext(
            id: component.id, logger: logger, mode: options.mode, shutdown: shutdown,
            frameRequirement: component.role == .source ? spec.graph.frameRequirement(forSource: component.id) : nil,
            window: options.window, inputOverride: options.inputOverrides[component.id],
            upstreamSources: spec.graph.upstreamSources(of: component.id),
            baseDirectory: ".", pipelineName: spec.name, progress: progress)
        context.runPolicy = runPolicy
        context.buffer = component.buffer
        context.renderer = options.renderer
        context.clipMaker = options.clipMaker
        let dropped = droppedCounter(component.id)
        let progress = self.progress
        context.countDropped = { dropped.increment(by: $0); progress.dropped($0) }
        context.metrics = metrics
        return context
    }

    private func droppedCounter(_ id: String) -> Counter {
        Counter(label: Self.droppedLabel, dimensions: [("stage", id)], factory: metrics)
    }

    /// Checks every component against the outside world; throws all failures at once.
    public func preflight() async throws {
        var failures: [String] = []
        for component in spec.components {
            do {
                try await component.spec.preflight(context: context(for: component))
            } catch {
                failures.append("\(component.id) (\(component.typeName)): \(error)")
            }
        }
        if !failures.isEmpty {
            throw VigilError(.stageFailed, "the pipeline cannot start:\n  " + failures.joined(separator: "\n  "),
                             subject: spec.file)
        }
    }

    /// Runs to the end of the inputs (batch) or until ``shutdown`` is requested (stream).
    public func run() async throws -> RunSummary {
        let started = Date()
        let clock = ContinuousClock.now
        for override in options.inputOverrides.keys where spec.component(override)?.role != .source {
            throw VigilError(.invalidArgument, "--input \(override)=...: the pipeline has no source '\(override)'",
                             subject: spec.file)
        }
        try await preflight()
        let wiring = wire()
        let resuming = options.mode == .batch && options.rerun == .resume
        let interval = options.mode == .batch && options.snapshotInterval > 0 ? options.snapshotInterval : nil
        let gate = StartGate(participants: spec.components.count) { votes in
            ResumePlan.decide(votes, resuming: resuming, interval: interval)
        }
        let failures = FailureLog()
        let decided = DecidedPlan()

        await withTaskGroup(of: Void.self) { group in
            for component in spec.components {
                let context = context(for: component)
                group.addTask { [self] in
                    do {
                        try await runComponent(component, context: context, wiring: wiring, gate: gate,
                                               resuming: resuming, decided: decided)
                    } catch {
                        if !(error is CancellationError) || !shutdown.isRequested {
                            failures.record("\(error)", for: component.id)
                            context.logger.info("stage failed", metadata: ["error": "\(error)"])
                        }
                        gate.fail(error)
                    }
                }
            }
        }

        let errors = failures.all
        let elapsed = ContinuousClock.now - clock
        let truncations = progress.truncations.values.sorted { $0.source < $1.source }
        let status: RunSummary.Status = !errors.isEmpty ? .failed
            : (shutdown.isRequested ? .stopped : (truncations.isEmpty ? .completed : .truncated))
        return RunSummary(
            pipeline: spec.name, mode: options.mode.rawValue, status: status, startedAt: started,
            wallSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            framesBySource: Dictionary(uniqueKeysWithValues: spec.sources.map {
                ($0.id, Int(metrics.counterValue(Self.sentLabel, [("stage", $0.id)])))
            }),
            stages: spec.components.map { report($0, wiring: wiring, error: errors[$0.id]) },
            errors: spec.components.compactMap { c in errors[c.id].map { "\(c.id): \($0)" } },
            truncations: truncations, resumedAt: decided.plan?.point?.mark)
    }

    private func runComponent(_ component: PipelineSpec.Component, context: StageContext, wiring: Wiring,
                              gate: StartGate, resuming: Bool, decided: DecidedPlan) async throws {
        let inputs = wiring.inputs[component.id] ?? []
        let outputs = wiring.outputs[component.id] ?? []
        defer {
            for output in outputs { output.channel.finishProducer() }
            for input in inputs { input.closeConsumer() }
        }
        let stage: any Stage
        let plan: ResumePlan
        do {
            stage = try await component.spec.makeStage(context: context)
            var vote = ResumeVote(id: component.id, support: stage.resumeSupport)
            if resuming, vote.support == .continues { vote.offers = try await stage.resumeOffer() }
            plan = try await gate.arriveAndWait(vote)
            if let point = plan.point(for: component.id, support: vote.support) { try stage.resume(at: point) }
        } catch {
            gate.fail(error)
            throw error
        }
        if component.role == .source {
            decided.record(plan, logger: context.logger)
        }

        let dimensions = [("stage", component.id)]
        let received = Counter(label: Self.receivedLabel, dimensions: dimensions, factory: metrics)
        let framesReceived = Counter(label: Self.framesReceivedLabel, dimensions: dimensions, factory: metrics)
        let sent = Counter(label: Self.sentLabel, dimensions: dimensions, factory: metrics)
        let dropped = droppedCounter(component.id)
        let latency = Metrics.Timer(label: Self.latencyLabel, dimensions: dimensions, factory: metrics)
        let isSource = component.role == .source
        let progress = self.progress

        let merger = InputMerger(channels: inputs)
        let lastTaken = LastInstant()
        let marks = plan.snapshotInterval.flatMap { stage.resumeSupport == .snapshots ? SnapshotMarks(interval: $0) : nil }
        // Called by the stage's own task between two of its messages (see ``Stage``): never concurrently.
        nonisolated(unsafe) let snapshotting = stage
        let id = component.id
        let input = inputs.isEmpty ? StageInput.empty : StageInput {
            let now = ContinuousClock.now
            if let previous = lastTaken.value { latency.recordInterval(since: previous, now: now) }
            var message = await merger.next()
            lastTaken.value = ContinuousClock.now
            if let taken = message {
                received.increment()
                if case .frame(var frame) = taken {
                    framesReceived.increment()
                    if let marks, let mark = marks.crossed(at: frame.info.time.seconds) {
                        frame.snapshots.append(StageSnapshot(stage: id, mark: mark, state: try snapshotting.saveState()))
                        message = .frame(frame)
                    }
                }
            }
            return message
        }
        let output = StageOutput { message in
            if isSource, case .frame(let frame) = message { progress.frameDone(source: frame.info.sourceID) }
            sent.increment()
            for target in outputs where target.accepts?.contains(message.port) ?? true {
                if try await !target.channel.send(message) { dropped.increment() }
            }
        }
        do {
            try await stage.run(input: input, output: output)
        } catch {
            // Before the output ends (the `defer` above): a sink whose input ends now knows it was cut short.
            if !(error is CancellationError) || !shutdown.isRequested {
                progress.componentFailed("\(component.id): \(error)", downstream: spec.graph.downstream(of: component.id))
            }
            throw error
        }
    }

    private func report(_ component: PipelineSpec.Component, wiring: Wiring, error: String?) -> RunSummary.StageReport {
        let dimensions = [("stage", component.id)]
        let inputs = wiring.inputs[component.id] ?? []
        return RunSummary.StageReport(
            id: component.id, type: component.typeName, role: component.role.rawValue,
            received: Int(metrics.counterValue(Self.receivedLabel, dimensions)),
            framesReceived: Int(metrics.counterValue(Self.framesReceivedLabel, dimensions)),
            sent: Int(metrics.counterValue(Self.sentLabel, dimensions)),
            dropped: Int(metrics.counterValue(Self.droppedLabel, dimensions)),
            latency: metrics.distribution(Self.latencyLabel, dimensions),
            inputHighWater: inputs.map(\.highWaterMark).max() ?? 0, error: error)
    }

    static let receivedLabel = "vigil_stage_messages_received_total"
    static let framesReceivedLabel = "vigil_stage_frames_received_total"
    static let sentLabel = "vigil_stage_messages_sent_total"
    static let droppedLabel = "vigil_stage_dropped_total"
    static let latencyLabel = "vigil_stage_latency_seconds"
}

extension Metrics.Timer {
    fileprivate func recordInterval(since start: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        let d = now - start
        recordNanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }
}

/// The resume decision as the run's summary reports it (every component receives the same one).
private final class DecidedPlan: Sendable {
    private let decided = Mutex<ResumePlan?>(nil)
    var plan: ResumePlan? { decided.withLock { $0 } }

    func record(_ plan: ResumePlan, logger: Logger) {
        let first: Bool = decided.withLock { d in
            defer { d = plan }
            return d == nil
        }
        guard first else { return }
        if let point = plan.point {
            logger.info("resuming at a checkpoint mark: sources seek there, stages restore their state",
                        metadata: ["resume.mark_seconds": "\(point.mark)", "resume.stages": "\(point.states.keys.sorted())"])
        } else if let reason = plan.replayReason {
            logger.info("resuming by replaying the inputs from the start", metadata: ["resume.reason": "\(reason)"])
        }
    }
}

/// The checkpoint marks of one stage's input: multiples of the interval, each crossed by the first frame at
/// or after it.
private final class SnapshotMarks: Sendable {
    private let interval: Double
    private let next: Mutex<Double>

    init(interval: Double) {
        self.interval = interval
        next = Mutex(interval)
    }

    /// The mark a frame at `time` crosses, if it is the first at or after one.
    func crossed(at time: Double) -> Double? {
        next.withLock { next in
            guard time >= next else { return nil }
            let mark = (time / interval).rounded(.down) * interval
            next = mark + interval
            return mark
        }
    }
}

/// Errors of failed components, by component id.
private final class FailureLog: Sendable {
    private let errors = Mutex<[String: String]>([:])
    func record(_ error: String, for id: String) { errors.withLock { $0[id] = $0[id] ?? error } }
    var all: [String: String] { errors.withLock { $0 } }
}

/// When a stage last took a message, to time how long it spent on it.
private final class LastInstant: Sendable {
    private let instant = Mutex<ContinuousClock.Instant?>(nil)
    var value: ContinuousClock.Instant? {
        get { instant.withLock { $0 } }
        set { instant.withLock { $0 = newValue } }
    }
}
