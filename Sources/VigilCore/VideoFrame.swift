public import struct Foundation.Date

/// Where a frame came from and when.
public struct FrameInfo: Hashable, Sendable {
    /// The id of the source (camera) in the pipeline.
    public var sourceID: String
    /// Index of the decoded frame in its source, counting every decoded frame (0-based), so sampled
    /// frames keep their original numbers.
    public var index: Int
    /// Presentation time, monotonic per source.
    public var time: MediaTime
    /// Wall-clock capture time: the arrival time for live sources, `nil` for files.
    public var captureTime: Date?
    /// Size of the source's own frames; annotations are always in these pixels.
    public var sourceWidth: Int
    public var sourceHeight: Int

    public init(sourceID: String, index: Int, time: MediaTime, captureTime: Date? = nil,
                sourceWidth: Int, sourceHeight: Int) {
        self.sourceID = sourceID; self.index = index; self.time = time; self.captureTime = captureTime
        self.sourceWidth = sourceWidth; self.sourceHeight = sourceHeight
    }
}

/// A frame with what the pipeline has learned about it so far. The unit that flows on `frames` ports.
public struct AnnotatedFrame: Sendable {
    public var info: FrameInfo
    /// Pixels, scaled and converted to what the consumers asked for; `nil` when none needs pixels.
    public var image: FrameImage?
    public var detections: [Detection]
    public var tracks: [TrackPoint]
    /// Whether the detector actually ran on this frame (false when gated or skipped by `interval`).
    public var detectorRan: Bool
    /// Per-frame measurements written by upstream stages, by name (e.g. the face stage's `ear`, `mar`,
    /// `yaw`, `face_present`); booleans are 1 and 0. `alert` rules of kind `metric` read them.
    public var measurements: [String: Double]
    /// State snapshots of stages this frame passed as the first at or after a checkpoint mark
    /// (``StageSnapshot``); result sinks commit them with the frame. Empty on almost every frame.
    public var snapshots: [StageSnapshot] = []

    public init(info: FrameInfo, image: FrameImage?, detections: [Detection] = [], tracks: [TrackPoint] = [],
                detectorRan: Bool = false, measurements: [String: Double] = [:]) {
        self.info = info; self.image = image; self.detections = detections
        self.tracks = tracks; self.detectorRan = detectorRan; self.measurements = measurements
    }

    /// Factor from image pixels to source pixels along x and y.
    public var imageToSourceScale: (x: Double, y: Double) {
        guard let image else { return (1, 1) }
        return (Double(info.sourceWidth) / Double(image.width), Double(info.sourceHeight) / Double(image.height))
    }
}
