/// Settings of ``ByteTracker``. Defaults follow ByteTrack (score thresholds as in Roboflow `trackers`: 0.6 / 0.7), in seconds;
/// coasting, instant confirmation and the 2 s buffer were measured on ../shared/bench/mot (bench/track/RESULTS.md).
public struct TrackerConfiguration: Sendable, Hashable {
    /// Detections at or above this score take part in the first association.
    public var highThreshold: Double = 0.6
    /// Detections in `low_threshold ..< high_threshold` only keep existing tracks alive (second stage).
    public var lowThreshold: Double = 0.1
    /// An unmatched detection starts a track only at or above this score.
    public var newTrackThreshold: Double = 0.7
    /// Minimum IoU between a predicted track and a high-score detection (first stage).
    public var matchIoU: Double = 0.2
    /// Minimum IoU in the second, low-score stage (stricter: those boxes are less reliable).
    public var lowMatchIoU: Double = 0.5
    /// Minimum IoU for a tentative track to take a remaining detection.
    public var unconfirmedMatchIoU: Double = 0.3
    /// Matches before a track is confirmed (and reported).
    public var minHits: Int = 2
    /// A new track whose first detection scores at least this is confirmed at once (1 disables it).
    public var instantConfirmThreshold: Double = 0.85
    /// How long a lost track is kept for re-activation.
    public var maxAgeSeconds: Double = 2.0
    /// Lost tracks are still reported (predicted box, state `lost`) for this long after their last
    /// match: detectors miss people in short bursts while they are still there.
    public var coastSeconds: Double = 0.1
    /// Second chance for lost tracks: IoU of boxes enlarged by this fraction of their size on each side
    /// (C-BIoU), against high-score detections the first stage left; 0 disables it.
    public var lostBufferScale: Double = 0
    /// Minimum buffered IoU for that second chance.
    public var lostMatchIoU: Double = 0.3
    /// ByteTrack's "fuse score": the first-stage similarity is IoU x detection score.
    public var fuseScore: Bool = true
    /// Measurement noise scaled by `1 - score` (NSA Kalman).
    public var scoreAdaptiveNoise: Bool = false
    /// Interval the Kalman noise constants are defined for.
    public var referenceInterval: Double = 1.0 / 30
    /// Labels to track; empty tracks every class.
    public var classes: [String] = []

    public init() {}
}
