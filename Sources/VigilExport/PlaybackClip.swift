public import VigilCore
import VigilMedia

/// Recorded footage of a time range as a clip a browser plays: the frames of `[start, end)` re-encoded
/// to H.264/MP4 so that it starts exactly at `start` (a key-frame copy could start seconds early).
public enum PlaybackClip {
    public static func cut(source: String, start: Double, end: Double, output: String) throws -> ClipResult {
        try MediaClipMaker().makeClip(ClipRequest(source: source, start: start, end: end, exact: true, output: output))
    }
}
