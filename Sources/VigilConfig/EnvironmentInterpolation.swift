import Foundation

/// `${VAR}` and `${VAR:-default}` in scalar values, as in shell and docker-compose files. `$$` is a
/// literal `$`. An unset variable without a default is an error.
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
            guard let close = text[next...].firstIndex(of: "}") else { return .failure(.malformed) }
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
                out += fallback
            } else {
                return .failure(.unset(String(name)))
            }
            i = text.index(after: close)
        }
        return .success(out)
    }
}
