/// What a full queue does with one more message.
public enum OverflowPolicy: String, Sendable, Hashable, CaseIterable {
    /// The sender waits: nothing is lost, a slow consumer slows the producer (batch work).
    case block
    /// The incoming frame is dropped and counted.
    case dropNewest = "drop_newest"
    /// The oldest waiting frame is dropped and counted (live video that must not fall behind).
    case dropOldest = "drop_oldest"
}

/// The `buffer:` setting of a component: the queue in front of it. For a transform or a sink that is
/// its input queue; for a source, the queue between the thread that reads the input and the graph.
///
/// ```yaml
/// buffer:
///   max_events: 16          # messages (frames, events, rows) it holds; default --channel-capacity
///   when_full: drop_oldest  # block | drop_newest | drop_oldest
/// ```
///
/// Only frames are ever dropped: an event or a row waits for room whatever the policy, so no alert is
/// lost to a slow consumer. Every drop is counted in `vigil_stage_dropped_total{stage}` of the
/// component that dropped it, and shown in the run summary. Defaults: queues between components block;
/// a live source drops its oldest frame (a camera cannot be paused), a file source blocks.
public struct BufferSettings: Sendable, Hashable {
    /// `nil`: the component's default.
    public var maxEvents: Int?
    /// `nil`: the component's default.
    public var whenFull: OverflowPolicy?

    public init(maxEvents: Int? = nil, whenFull: OverflowPolicy? = nil) {
        self.maxEvents = maxEvents
        self.whenFull = whenFull
    }

    /// Reads `buffer:` of a component's settings (reporting bad values through `config`).
    public init(reading config: ConfigReader, key: String = "buffer") {
        self.init()
        guard let nested = config.nested(key) else { return }
        maxEvents = nested.int("max_events", in: 1...100_000)
        whenFull = nested.choice("when_full", as: OverflowPolicy.self)
        nested.finish()
    }
}
