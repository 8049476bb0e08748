import Foundation
/// `${VAR}` and `${VAR:-default}` in scalar values, as in shell and docker-compose files: the default
/// is used when VAR is unset or empty, and may itself use `${OTHER}`. `$$` is a literal `$`, a `$`
/// before anything but `{` or `$` is kept as it is. An unset variable without a default is an error;
/// an unclosed `${`, an empty name or one with characters other than letters, digits and `_` is malformed.
public struct EnvironmentInterpolation: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public enum Failure: Error, Equatable {
        case unset(String)
        case malformed
    }

    public func apply(_ text: String) -> Result<String, Failure> {
        guard text.contains("$") else { return .success(text) }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == "$" else { out.append(c); i = text.index(after: i); continue }
            let next = text.index(after: i)
            if next < text.endIndex, text[next] == "$" { out.append("$"); i = text.index(after: next); continue }
            guard next < text.endIndex, text[next] == "{" else { out.append(c); i = next; continue }
            guard let close = Self.closingBrace(in: text, after: next) else { return .failure(.malformed) }
            let body = text[text.index(after: next)..<close]
            let name: Substring, fallback: Substring?
            if let sep = body.range(of: ":-") {
                name = body[..<sep.lowerBound]; fallback = body[sep.upperBound...]
            } else {
                name = body; fallback = nil
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                return .failure(.malformed)
            }
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                out += value
            } else if let fallback {
                switch apply(String(fallback)) {   // a default may itself hold ${OTHER} and $$
                case .success(let value): out += value
                case .failure(let failure): return .failure(failure)
                }
            } else {
                return .failure(.unset(String(name)))
            }
            i = text.index(after: close)
        }
        return .success(out)
    }

    /// The variables `text` references and their defaults (nil: none), outermost first: what a file can be
    /// given. A name referenced with different defaults keeps its first.
    public static func references(in text: String) -> [(name: String, fallback: String?)] {
        var found: [(name: String, fallback: String?)] = []
        var i = text.startIndex
        while let dollar = text[i...].firstIndex(of: "$") {
            let next = text.index(after: dollar)
            guard next < text.endIndex else { break }
            if text[next] == "$" { i = text.index(after: next); continue }
            guard text[next] == "{", let close = closingBrace(in: text, after: next) else { i = next; continue }
            let body = text[text.index(after: next)..<close]
            let sep = body.range(of: ":-")
            let name = String(sep.map { body[..<$0.lowerBound] } ?? body)
            let fallback = sep.map { String(body[$0.upperBound...]) }
            if !found.contains(where: { $0.name == name }) { found.append((name, fallback)) }
            if let fallback { found += references(in: fallback).filter { ref in !found.contains { $0.name == ref.name } } }
            i = text.index(after: close)
        }
        return found
    }

    /// The `}` that closes the `{` at `open`, skipping nested `${...}`.
    private static func closingBrace(in text: String, after open: String.Index) -> String.Index? {
        var depth = 0
        var i = text.index(after: open)
        while i < text.endIndex {
            switch text[i] {
            case "{" where i > text.startIndex && text[text.index(before: i)] == "$": depth += 1
            case "}" where depth == 0: return i
            case "}": depth -= 1
            default: break
            }
            i = text.index(after: i)
        }
        return nil
    }
}
