import Foundation
import VigilCore

/// A condition over a frame's measurements, as `metric` rules write it:
///
///     ear < 0.75 * ear_baseline          # a calibrated threshold
///     mar > 0.6
///     face_present == false
///     abs(yaw_relative) > 30
///     ratio(ear < 0.2, 60s) > 0.15       # PERCLOS: share of the last 60 s of frames with closed eyes
///     mean(mar, 2s) >= 0.5               # also min(...), max(...)
///
/// Numbers, `true`/`false` (1/0), measurement names, `+ - * /`, parentheses, `abs(x)`, and windows over
/// the last D seconds of frames: `ratio(condition, D)`, `mean(x, D)`, `min(x, D)`, `max(x, D)`. A
/// measurement missing on a frame makes the condition unknown there: it does not hold, and that frame
/// is left out of windows.
struct MetricExpression: Sendable {
    indirect enum Node: Sendable {
        case number(Double)
        case name(String)
        case abs(Node)
        case binary(Character, Node, Node)
        /// `mean`/`min`/`max` of a value over the last `seconds`; `slot` is its window's index.
        case window(WindowKind, slot: Int, argument: Node, seconds: Double)
        /// The share of the last `seconds` of frames on which `condition` held.
        case ratio(slot: Int, condition: Condition, seconds: Double)
    }

    enum WindowKind: String, Sendable { case mean, min, max }

    enum Comparison: String, Sendable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .less: a < b
            case .lessOrEqual: a <= b
            case .greater: a > b
            case .greaterOrEqual: a >= b
            case .equal: abs(a - b) < 1e-9
            case .notEqual: abs(a - b) >= 1e-9
            }
        }
    }

    /// `lhs comparison rhs`; a condition inside `ratio` has the same shape.
    struct Condition: Sendable {
        var lhs: Node
        var comparison: Comparison
        var rhs: Node
    }

    let text: String
    let condition: Condition
    /// How many windowed functions the expression holds.
    let windowCount: Int
    /// The longest window, in seconds.
    var longestWindow: Double { windowSeconds.max() ?? 0 }
    private let windowSeconds: [Double]

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(parsing text: String) throws(ParseError) {
        var parser = Parser(text)
        let condition = try parser.condition()
        try parser.expectEnd()
        self.text = text
        self.condition = condition
        self.windowCount = parser.windowSeconds.count
        self.windowSeconds = parser.windowSeconds
    }

    /// Every measurement name the expression reads.
    var names: Set<String> {
        func walk(_ node: Node) -> Set<String> {
            switch node {
            case .number: []
            case .name(let n): [n]
            case .abs(let a): walk(a)
            case .binary(_, let a, let b): walk(a).union(walk(b))
            case .window(_, _, let a, _): walk(a)
            case .ratio(_, let c, _): walk(c.lhs).union(walk(c.rhs))
            }
        }
        return walk(condition.lhs).union(walk(condition.rhs))
    }

    private struct Parser {
        let chars: [Character]
        var i = 0
        var windowSeconds: [Double] = []

        init(_ text: String) { chars = Array(text) }

        mutating func skipSpaces() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

        func error(_ message: String) -> ParseError {
            ParseError(description: "\(message) at character \(i + 1) of the expression")
        }

        mutating func expectEnd() throws(ParseError) {
            skipSpaces()
            if i < chars.count { throw error("unexpected '\(chars[i])'") }
        }

        mutating func condition() throws(ParseError) -> Condition {
            let lhs = try sum()
            skipSpaces()
            var op = ""
            while i < chars.count, "<>=!".contains(chars[i]) { op.append(chars[i]); i += 1 }
            guard let comparison = Comparison(rawValue: op) else {
                throw error(op.isEmpty ? "expected a comparison (<, <=, >, >=, ==, !=)" : "unknown comparison '\(op)'")
            }
            return Condition(lhs: lhs, comparison: comparison, rhs: try sum())
        }

        mutating func sum() throws(ParseError) -> Node {
            var node = try product()
            while true {
                skipSpaces()
                guard i < chars.count, chars[i] == "+" || chars[i] == "-" else { return node }
                let op = chars[i]
                i += 1
                node = .binary(op, node, try product())
            }
        }

        mutating func product() throws(ParseError) -> Node {
            var node = try term()
            while true {
                skipSpaces()
                guard i < chars.count, chars[i] == "*" || chars[i] == "/" else { return node }
                let op = chars[i]
                i += 1
                node = .binary(op, node, try term())
            }
        }

        mutating func term() throws(ParseError) -> Node {
            skipSpaces()
            guard i < chars.count else { throw error("expected a number, a measurement name or '('") }
            let c = chars[i]
            if c == "(" {
                i += 1
                let inner = try sum()
                try expect(")")
                return inner
            }
            if c == "-" {
                i += 1
                return .binary("-", .number(0), try term())
            }
            if c.isNumber || c == "." {
                let start = i
                while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i] == "e" { i += 1 }
                guard let value = Double(String(chars[start..<i])) else { throw error("invalid number") }
                return .number(value)
            }
            guard c.isLetter || c == "_" else { throw error("unexpected '\(c)'") }
            let start = i
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "." { i += 1 }
            let word = String(chars[start..<i])
            skipSpaces()
            let isCall = i < chars.count && chars[i] == "("
            switch (word, isCall) {
            case ("true", false): return .number(1)
            case ("false", false): return .number(0)
            case ("abs", true):
                i += 1
                let argument = try sum()
                try expect(")")
                return .abs(argument)
            case ("ratio", true), ("mean", true), ("min", true), ("max", true):
                i += 1
                var inner: Condition?
                var argument: Node = .number(0)
                if word == "ratio" { inner = try condition() } else { argument = try sum() }
                try expect(",")
                skipSpaces()
                let start = i
                while i < chars.count, chars[i] != ")" { i += 1 }
                let durationText = String(chars[start..<i]).trimmingCharacters(in: .whitespaces)
                guard let seconds = ConfigValueParser.duration(durationText), seconds > 0 else {
                    throw error("expected a window length such as 60s or 2m, found '\(durationText)'")
                }
                try expect(")")
                windowSeconds.append(seconds)
                let slot = windowSeconds.count - 1
                if let inner { return .ratio(slot: slot, condition: inner, seconds: seconds) }
                return .window(WindowKind(rawValue: word)!, slot: slot, argument: argument, seconds: seconds)
            case (_, true):
                throw error("unknown function '\(word)'; expected abs, ratio, mean, min or max")
            default:
                return .name(word)
            }
        }

        mutating func expect(_ c: Character) throws(ParseError) {
            skipSpaces()
            guard i < chars.count, chars[i] == c else { throw error("expected '\(c)'") }
            i += 1
        }
    }
}
