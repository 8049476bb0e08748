/// Frames clients push (`pushed_frames`): what the server that stores them and the workers' `push`
/// source that reads them agree on.
public enum PushedFrames {
    /// The URL of a camera fed by clients rather than a stream (a camera whose URL starts with it).
    public static let cameraURLPrefix = "push:"
}
