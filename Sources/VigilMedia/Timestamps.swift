/// Turns a stream's raw presentation timestamps into seconds that strictly increase: missing values
/// are filled from the previous frame and its duration, and a timestamp that does not move forward
/// (broken muxers, B-frame reordering glitches) is nudged just past the previous one.
public struct TimestampNormalizer: Sendable, Hashable {
    /// Seconds per tick of the stream's time base.
    public var timeBase: Double
    /// Raw timestamp of media time zero (the stream's start time), `nil` to use the first one seen.
    public var origin: Int64?
    /// Frame duration to assume when a frame carries none (1 / frame rate).
    public var nominalFrameDuration: Double
    public private(set) var last: Double?

    public init(timeBase: Double, origin: Int64?, nominalFrameDuration: Double) {
        self.timeBase = timeBase
        self.origin = origin
        self.nominalFrameDuration = nominalFrameDuration > 0 ? nominalFrameDuration : 1.0 / 25
    }

    /// Seconds of the frame with raw timestamp `pts` (nil when missing) and raw `duration` (0 when unknown).
    public mutating func seconds(pts: Int64?, duration: Int64 = 0) -> Double {
        let step = duration > 0 ? Double(duration) * timeBase : nominalFrameDuration
        var t: Double
        if let pts {
            if origin == nil { origin = pts }
            t = Double(pts - origin!) * timeBase
        } else {
            t = last.map { $0 + step } ?? 0
        }
        if let last, t <= last { t = last + min(1e-3, step / 10) }
        last = t
        return t
    }
}

/// Keeps frames at a target rate by timestamp: a frame is kept when its time reaches the next
/// sample slot, and the slot then moves past it, so a 30 fps source sampled at `fps: 5` keeps every
/// sixth frame and a variable-rate source keeps frames spread evenly in time.
public struct FrameSampler: Sendable, Hashable {
    public let interval: Double?
    private var nextSlot: Double?

    /// `fps: nil` keeps every frame.
    public init(fps: Double?) {
        interval = fps.flatMap { $0 > 0 ? 1 / $0 : nil }
    }

    public mutating func shouldKeep(time: Double) -> Bool {
        guard let interval else { return true }
        let slot = nextSlot ?? time
        guard time >= slot - 1e-6 else { return false }
        let skipped = ((time - slot) / interval + 1e-6).rounded(.down)
        nextSlot = slot + (skipped + 1) * interval
        return true
    }
}

/// Maps the per-connection times of a source (each connection or loop restarts near zero) onto one
/// timeline that keeps increasing: each new session starts one frame (or the measured gap) after
/// the last frame of the previous one.
public struct SourceClock: Sendable, Hashable {
    private var offset: Double = 0
    private var pendingStart: Double?
    public private(set) var last: Double?

    public init() {}

    /// The next frame begins a new session that follows the previous one after `gap` seconds
    /// (at least `frameDuration`).
    public mutating func beginSession(gap: Double, frameDuration: Double) {
        guard let last else { return }
        pendingStart = last + max(gap, frameDuration)
    }

    /// The source time of a frame at `sessionTime` in the current session.
    public mutating func time(sessionTime: Double) -> Double {
        if let start = pendingStart {
            offset = start - sessionTime
            pendingStart = nil
        }
        var t = sessionTime + offset
        if let last, t <= last { t = last + 1e-3 }
        last = t
        return t
    }
}
