import Foundation

/// Parsers for the value syntaxes pipeline files use. Pure functions, shared by the spec readers and
/// the command line (`--from 1m30s`).
public enum ConfigValueParser {
    /// `500ms`, `5s`, `1m`, `2h`, `1d`, `1m30s`, `90` (seconds), `01:30` / `1:02:03.5` (clock).
    public static func duration(_ text: String) -> Double? {
        let t = text.lowercased()
        if t.isEmpty { return nil }
        if let v = Double(t) { return v.isFinite && v >= 0 ? v : nil }
        if t.contains(":") {
            let parts = t.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
            guard parts.count <= 3, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
            return parts.reduce(0) { $0 * 60 + $1! }
        }
        var total = 0.0
        var rest = Substring(t)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800)]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return total
    }

    /// `5`, `5/s`, `300/m`, `10fps`, `2/h`; must be positive.
    public static func rate(_ text: String) -> Double? {
        var t = text.lowercased().replacingOccurrences(of: " ", with: "")
        var per = 1.0
        if t.hasSuffix("fps") { t.removeLast(3) } else if let slash = t.firstIndex(of: "/") {
            let unit = t[t.index(after: slash)...]
            switch unit {
            case "s", "sec", "second": per = 1
            case "m", "min", "minute": per = 60
            case "h", "hour": per = 3600
            default: return nil
            }
            t = String(t[..<slash])
        }
        guard let v = Double(t), v.isFinite, v > 0 else { return nil }
        return v / per
    }

    /// A URL with one of `schemes`, or a plain path when `allowPath`.
    public static func url(_ text: String, schemes: Set<String>, allowPath: Bool) -> Bool {
        if let range = text.range(of: "://") {
            let scheme = text[..<range.lowerBound].lowercased()
            let rest = text[range.upperBound...]
            guard schemes.contains(scheme), !rest.isEmpty else { return false }
            return scheme == "file" || !rest.hasPrefix("/")
        }
        return allowPath && !text.isEmpty
    }
}
