import Foundation

/// Comma-separated filters (`cameras=1,2`, `kinds=dwell,crowd`, as Frigate's API takes them) and booleans.
extension Query {
    private func bad(_ name: String, _ expected: String) -> APIError {
        .badRequest("query parameter \(name): expected \(expected)", code: "invalid_parameter")
    }

    /// `1,2,3`: up to 100 database ids.
    func ids(_ name: String) throws -> [Int]? {
        guard let raw = parameters[name] else { return nil }
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false)
        let ids = parts.map { part in (1...10).contains(part.count) && part.allSatisfy({ ("0"..."9").contains($0) }) ? Int(part) : nil }
        guard (1...100).contains(parts.count), ids.allSatisfy({ $0.map { (1...Int(Int32.max)).contains($0) } ?? false }) else {
            throw bad(name, "up to 100 ids separated by commas, like 1,2,3")
        }
        return ids.map { $0! }
    }

    /// `a,b`: up to 50 names of 1 to 64 characters (no NUL), or only the `allowed` ones.
    func names(_ name: String, allowed: Set<String>? = nil) throws -> [String]? {
        guard let raw = parameters[name] else { return nil }
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard (1...50).contains(parts.count), parts.allSatisfy({ (1...64).contains($0.unicodeScalars.count) && !$0.contains("\0") }),
              allowed.map({ Set(parts).isSubset(of: $0) }) ?? true else {
            let what = allowed.map { "names among \($0.sorted().joined(separator: ", ")) separated by commas" }
            throw bad(name, what ?? "up to 50 names of 1 to 64 characters separated by commas")
        }
        return parts
    }

    func bool(_ name: String) throws -> Bool? {
        guard let raw = parameters[name] else { return nil }
        switch raw {
        case "true": return true
        case "false": return false
        default: throw bad(name, "true or false")
        }
    }

    /// A 64-bit id (runs, events), up to 2^53 - 1 so that it survives a JSON number.
    func int64(_ name: String) throws -> Int? { try int(name, in: 0...Self.maxBigID) }
    static let maxBigID = 9_007_199_254_740_991
}
