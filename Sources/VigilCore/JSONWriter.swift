import Foundation

/// A small, allocation-light JSON text builder for line-oriented output (one object per line), shared by
/// every writer of Vigil's results (the `jsonl` sink, the `webhook` sink's bodies and dead letters).
public struct JSONWriter: Sendable {
    public private(set) var text = ""

    public init() {}

    public mutating func reset() { text.removeAll(keepingCapacity: true) }

    public mutating func raw(_ s: String) { text += s }

    public mutating func string(_ s: String) { JSONString.append(s, to: &text) }

    public mutating func number(_ v: Double) {
        guard v.isFinite else { text += "null"; return }
        if v == v.rounded(), abs(v) < 1e15 { text += String(Int64(v)) } else {
            text += String(format: "%.4f", v).trimmingTrailingZeros
        }
    }

    public mutating func number(_ v: Int) { text += String(v) }

    /// `"key":` with a leading comma unless first.
    public mutating func key(_ k: String, first: Bool = false) {
        if !first { text.append(",") }
        string(k)
        text.append(":")
    }
}

extension String {
    fileprivate var trimmingTrailingZeros: String {
        guard contains(".") else { return self }
        var s = self
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
