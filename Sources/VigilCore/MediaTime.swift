/// A point on a source's media timeline, in seconds.
///
/// For files it is the presentation timestamp relative to the start of the stream; for live sources
/// it is monotonic per source as well, and the wall-clock capture time travels separately in
/// ``FrameInfo/captureTime``.
public struct MediaTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    public static let zero = MediaTime(seconds: 0)

    public static func < (lhs: MediaTime, rhs: MediaTime) -> Bool { lhs.seconds < rhs.seconds }
    public static func + (lhs: MediaTime, rhs: Double) -> MediaTime { MediaTime(seconds: lhs.seconds + rhs) }
    public static func - (lhs: MediaTime, rhs: MediaTime) -> Double { lhs.seconds - rhs.seconds }

    public var description: String {
        let total = max(0, seconds)
        let h = Int(total) / 3600, m = Int(total) / 60 % 60
        let s = total - Double(h * 3600 + m * 60)
        return h > 0 ? "\(h):\(pad(m)):\(pad(s))" : "\(m):\(pad(s))"
    }

    private func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    private func pad(_ v: Double) -> String {
        let r = (v * 1000).rounded() / 1000
        return r < 10 ? "0\(r)" : "\(r)"
    }
}
