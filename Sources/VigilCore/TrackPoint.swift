/// Lifecycle of a track, as trackers of the SORT/ByteTrack family define it.
public enum TrackState: String, Sendable, Hashable, Codable {
    /// Seen fewer than `min_hits` times.
    case tentative
    /// Matched to detections often enough to be reported.
    case confirmed
    /// Not matched recently; predicted by the motion model until `max_age` runs out.
    case lost
    /// Past `max_age`; will not be matched again.
    case removed
}

/// One observation of a tracked object on one frame.
public struct TrackPoint: Hashable, Sendable {
    public var trackID: Int
    /// Identity across cameras and re-links, assigned by the re-identification stage.
    public var globalID: Int?
    public var box: BoundingBox
    public var score: Double
    public var classID: Int
    public var label: String
    public var state: TrackState
    /// Seconds since the track was created.
    public var age: Double
    /// Velocity of the box centre in pixels per second.
    public var velocityX: Double
    public var velocityY: Double
    /// Position on the site map (metres, in the map's frame) of the foot point, when a homography is known.
    public var mapX: Double?
    public var mapY: Double?

    public init(trackID: Int, globalID: Int? = nil, box: BoundingBox, score: Double, classID: Int = 0,
                label: String = "person", state: TrackState = .confirmed, age: Double = 0,
                velocityX: Double = 0, velocityY: Double = 0, mapX: Double? = nil, mapY: Double? = nil) {
        self.trackID = trackID; self.globalID = globalID; self.box = box; self.score = score
        self.classID = classID; self.label = label; self.state = state; self.age = age
        self.velocityX = velocityX; self.velocityY = velocityY; self.mapX = mapX; self.mapY = mapY
    }
}
