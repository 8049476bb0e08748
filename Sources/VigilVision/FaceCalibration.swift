import VigilCore

/// How `kind: face_mesh` learns a subject's (a driver's) open-eye EAR and neutral head pose.
public enum FaceCalibrationSettings: Sendable, Hashable {
    /// Measured over the first `seconds` of media time with a face: the baseline is the `percentile`-th
    /// percentile of EAR (open eyes are EAR's upper mode; a high percentile survives blinks and a stretch of
    /// closed eyes, a mean or median does not), the neutral yaw and pitch their medians.
    case measure(seconds: Double, percentile: Double)
    /// Known values (e.g. stored per driver).
    case given(FaceCalibrationValues)
}

public struct FaceCalibrationValues: Sendable, Hashable {
    public var earBaseline: Double
    public var yaw: Double
    public var pitch: Double

    public init(earBaseline: Double, yaw: Double = 0, pitch: Double = 0) {
        self.earBaseline = earBaseline; self.yaw = yaw; self.pitch = pitch
    }
}

/// One subject's calibration in progress or done.
struct FaceCalibration: Sendable {
    /// A gap between frames longer than this adds only this much face time.
    static let maxStepSeconds = 0.5

    let settings: FaceCalibrationSettings
    private(set) var values: FaceCalibrationValues?
    private var ears: [Double] = [], yaws: [Double] = [], pitches: [Double] = []
    private var faceSeconds = 0.0
    private var lastTime: MediaTime?

    init(_ settings: FaceCalibrationSettings) {
        self.settings = settings
        if case .given(let values) = settings { self.values = values }
    }

    /// Feeds one frame (`sample` is `nil` without a face). The frame that completes the window is included.
    mutating func add(time: MediaTime, sample: (ear: Double, yaw: Double, pitch: Double)?) {
        defer { lastTime = time }
        guard values == nil, case .measure(let seconds, let percentile) = settings, let sample else { return }
        if let lastTime { faceSeconds += min(Self.maxStepSeconds, max(0, time.seconds - lastTime.seconds)) }
        ears.append(sample.ear); yaws.append(sample.yaw); pitches.append(sample.pitch)
        guard faceSeconds >= seconds else { return }
        values = FaceCalibrationValues(earBaseline: Self.percentile(ears, percentile),
                                       yaw: Self.percentile(yaws, 50), pitch: Self.percentile(pitches, 50))
        ears = []; yaws = []; pitches = []
    }

    /// The `p`-th percentile (0...100) with linear interpolation between order statistics (numpy's default).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        precondition(!values.isEmpty)
        let sorted = values.sorted()
        let rank = p / 100 * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down)), high = min(sorted.count - 1, low + 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }
}
