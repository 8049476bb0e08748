/// `NOTIFY` channels through which what the workers commit reaches every server instance live.
public enum LiveChannels {
    /// Committed track points, one notification per sink batch, sent by its transaction (so on commit
    /// only): `{"run": id, "low": first time, "high": last time}`; readers fetch the rows.
    public static let trackPoints = "vigil_track_points"

    /// A camera's latest frame was replaced (`camera_frames`): the payload is the camera id.
    public static let frames = "vigil_frames"
}
