public import VigilCore

/// `synthetic` source: frames with timestamps at a fixed rate and no pixels, for runtime tests.
/// `frames: 0` with `mode: stream` emits until shutdown.
public struct SyntheticSourceSpec: StageSpec {
    public static let typeName = "synthetic"
    public static let role = StageRole.source
    public static let summary = "test frames at a fixed rate, without pixels"

    var frames: Int
    var fps: Double
    var startSeconds: Double
    /// Real time to wait between frames (seconds); 0 emits as fast as possible.
    var pace: Double
    var width: Int
    var height: Int
    /// Number of frames after which the source fails (to test failure handling).
    var failAfter: Int?
    /// Emit a `tick` event after every this many frames (as a live source emits `stream_gap`).
    var eventEvery: Int?

    public init(config: ConfigReader) {
        frames = config.int("frames", in: 0...10_000_000) ?? 100
        fps = config.rate("fps") ?? 10
        startSeconds = config.duration("start") ?? 0
        pace = config.duration("pace") ?? 0
        width = config.int("width", in: 2...8192) ?? 64
        height = config.int("height", in: 2...8192) ?? 48
        failAfter = config.int("fail_after", in: 0...10_000_000)
        eventEvery = config.int("event_every", in: 1...10_000_000)
        config.finish()
    }

    public var inputPorts: Set<PortType> { [] }
    public var outputPort: PortType? { .frames }

    public func makeStage(context: StageContext) async throws -> any Stage {
        SyntheticSource(spec: self, context: context)
    }
}
