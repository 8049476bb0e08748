/// `NOTIFY` channels through which what the workers commit reaches every server instance live.
public enum LiveChannels {
    /// Committed track points, one notification per sink batch, sent by its transaction (so on commit
    /// only): `{"run": id, "low": first time, "high": last time}`; readers fetch the rows.
    public static let trackPoints = "vigil_track_points"

    /// A camera's latest frame was replaced (`camera_frames`): the payload is the camera id.
    public static let frames = "vigil_frames"

    /// A client pushed a frame into `pushed_frames`: the payload is the camera id.
    public static let pushedFrames = "vigil_pushed_frames"

    /// Committed events and alert changes, one notification per sink batch that has any, sent by its
    /// transaction: `{"run": id, "low": first new event's time, "high": last one's, "changes":
    /// [{"camera": id, "alert": alert id, "phase": "update"|"end"}]}` (low and high
    /// are null when the batch only changed alerts); readers fetch the rows.
    public static let events = "vigil_events"
}
