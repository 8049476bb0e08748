import Foundation

/// Parsers for the value syntaxes pipeline files use. Pure functions, shared by the spec readers and
/// the command line (`--from 1m30s`). Numbers are plain decimals (`5`, `0.5`, `.5`, `1e3`): no sign
/// where a value cannot be negative, no hexadecimal, no `inf` or `nan`.
public enum ConfigValueParser {
    /// A non-negative number of seconds, finite:
    /// - a bare number of seconds: `90`, `2.5`;
    /// - numbers with units, largest first or not, without spaces: `500ms`, `5s`, `1m`, `2h`, `1d`, `1w`,
    ///   `1m30s`, `1h2m3.5s` (units are case-insensitive);
    /// - a clock `m:ss` or `h:mm:ss` with minutes and seconds below 60: `01:30`, `00:01:30`, `1:02:03.5`.
    public static func duration(_ text: String) -> Double? {
        let t = text.lowercased()
        if t.isEmpty { return nil }
        if let v = decimal(t) { return v }
        if t.contains(":") {
            let parts = t.split(separator: ":", omittingEmptySubsequences: false).map { decimal($0) }
            guard parts.count <= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
            let values = parts.map { $0! }
            guard values.dropFirst().allSatisfy({ $0 < 60 }) else { return nil }
            return values.reduce(0) { $0 * 60 + $1 }
        }
        var total = 0.0
        var rest = Substring(t)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800)]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard let value = decimal(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return total.isFinite ? total : nil
    }

    /// Events per second, positive and finite: `5`, `5/s`, `300/m`, `2/h`, `10fps`, `5/sec`, `300/min`
    /// (spaces and case ignored).
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
        guard let v = decimal(t), v > 0 else { return nil }
        return v / per
    }

    /// A URL with one of `schemes` (case-insensitive) and something after `://` that does not start with
    /// `/` (except `file:///path`) and holds no whitespace; or, when `allowPath`, any other non-empty text
    /// as a file path — except a misspelt URL such as `rtsp:/cam` or `rtsp:cam`.
    public static func url(_ text: String, schemes: Set<String>, allowPath: Bool) -> Bool {
        if let range = text.range(of: "://") {
            let scheme = text[..<range.lowerBound].lowercased()
            let rest = text[range.upperBound...]
            guard schemes.contains(scheme), !rest.isEmpty, !rest.contains(where: \.isWhitespace) else { return false }
            return scheme == "file" || !rest.hasPrefix("/")
        }
        if let colon = text.firstIndex(of: ":"), schemes.contains(text[..<colon].lowercased()) { return false }
        return allowPath && !text.isEmpty
    }

    /// A plain, finite, non-negative decimal: digits with at most one point, and an optional exponent.
    static func decimal<S: StringProtocol>(_ text: S) -> Double? {
        var digits = 0, points = 0
        var index = text.startIndex
        while index < text.endIndex, text[index] != "e" && text[index] != "E" {
            let c = text[index]
            if c == "." { points += 1 } else if c.isASCII && c.isNumber { digits += 1 } else { return nil }
            index = text.index(after: index)
        }
        guard digits > 0, points <= 1 else { return nil }
        if index < text.endIndex {   // e[+-]digits
            var exponent = text[text.index(after: index)...]
            if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
            guard !exponent.isEmpty, exponent.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        }
        guard let value = Double(String(text)), value.isFinite else { return nil }
        return value
    }
}
