/// A clip to cut from a video: `[start, end)` in the source's media seconds.
public struct ClipRequest: Sendable, Hashable {
    public var source: String
    public var start: Double
    public var end: Double
    /// Re-encode so that the clip starts exactly at `start` (H.264/MP4); otherwise packets are copied
    /// from the key frame at or before `start`, without re-encoding.
    public var exact: Bool
    public var output: String

    public init(source: String, start: Double, end: Double, exact: Bool = false, output: String) {
        self.source = source; self.start = max(0, start); self.end = end; self.exact = exact; self.output = output
    }
}

/// What was cut: the requested and the actual start (a stream copy starts at a key frame, at or before
/// the requested time), the end, frames and codec.
public struct ClipResult: Sendable, Hashable {
    public var path: String
    public var requestedStart: Double
    public var actualStart: Double
    public var end: Double
    public var frames: Int
    public var codec: String
    public var exact: Bool

    public init(path: String, requestedStart: Double, actualStart: Double, end: Double, frames: Int, codec: String, exact: Bool) {
        self.path = path; self.requestedStart = requestedStart; self.actualStart = actualStart; self.end = end
        self.frames = frames; self.codec = codec; self.exact = exact
    }
}

/// Cuts evidence clips. The executable hands FFmpeg's (VigilMedia) to stages through
/// ``StageContext/clipMaker``, as it does the ``FrameRenderer``: the alert stage does not link FFmpeg.
public protocol ClipMaker: Sendable {
    /// Writes the clip under a temporary name and renames it to `request.output` when complete.
    func makeClip(_ request: ClipRequest) throws -> ClipResult
}
