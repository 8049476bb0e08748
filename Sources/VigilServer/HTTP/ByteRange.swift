import Foundation

/// One byte range of a `Range: bytes=...` request header (RFC 9110 §14) against a representation of
/// `size` bytes. Several ranges in one header are answered with the whole representation (which the
/// RFC allows); a range that selects nothing is a 416.
struct ByteRange: Equatable, Sendable {
    /// First and last byte, inclusive.
    var first: Int
    var last: Int
    var count: Int { last - first + 1 }

    enum Outcome: Equatable {
        /// No usable Range header: send everything (200).
        case whole
        case partial(ByteRange)
        /// 416 with `Content-Range: bytes */size`.
        case unsatisfiable
    }

    static func parse(_ header: String?, size: Int) -> Outcome {
        guard let header else { return .whole }
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes=") else { return .whole }  // another unit: ignored
        let specs = text.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count == 1 else { return .whole }
        let spec = specs[0].trimmingCharacters(in: .whitespaces)
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let start = spec[..<dash], end = spec[spec.index(after: dash)...]
        guard start.allSatisfy(\.isASCIIDigit), end.allSatisfy(\.isASCIIDigit), !(start.isEmpty && end.isEmpty) else { return .whole }
        if start.isEmpty {
            // The last N bytes.
            guard let n = Int(end), n > 0, size > 0 else { return .unsatisfiable }
            return .partial(ByteRange(first: max(0, size - n), last: size - 1))
        }
        guard let first = Int(start) else { return .unsatisfiable }  // beyond any size
        guard first < size else { return .unsatisfiable }
        let last = end.isEmpty ? size - 1 : min(Int(end) ?? Int.max, size - 1)
        guard last >= first else { return .whole }  // an invalid range is ignored
        return .partial(ByteRange(first: first, last: last))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
