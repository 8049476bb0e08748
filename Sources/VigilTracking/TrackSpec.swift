public import VigilCore

/// `type: track` — ByteTrack-family multi-object tracking, one tracker per source.
///
/// ```yaml
/// track:
///   type: track
///   inputs: [detect]
///   high_threshold: 0.6        # first-stage detections
///   low_threshold: 0.1         # second stage keeps tracks alive through occlusion
///   new_track_threshold: 0.7
///   match_iou: 0.2
///   min_hits: 2
///   max_age_seconds: 2s
///   classes: [person]          # default: every class
/// ```
public struct TrackSpec: StageSpec {
    public static let typeName = "track"
    public static let role = StageRole.transform
    public static let summary = "follow detections over time: ids, boxes, velocities (ByteTrack family)"

    public var configuration: TrackerConfiguration

    public init(config: ConfigReader) {
        configuration = TrackerConfiguration(reading: config)
        config.finish()
    }

    public init(configuration: TrackerConfiguration) { self.configuration = configuration }

    public var inputPorts: Set<PortType> { [.frames] }
    public var outputPort: PortType? { .frames }

    public func makeStage(context: StageContext) async throws -> any Stage {
        TrackStage(configuration: configuration, id: context.id)
    }
}
