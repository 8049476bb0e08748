import Foundation

/// One reply of an SMTP server: a three-digit code and its text lines (`250-first`, `250 last`).
struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    var code: Int
    /// The text of each line, without the code and separator.
    var lines: [String]

    /// 2xx.
    var isPositive: Bool { (200..<300).contains(code) }

    /// What the server said, as one line for an error message: `550 no such user`.
    var description: String {
        let text = lines.joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "\(code)" : "\(code) \(text)"
    }

    /// The ESMTP extensions of an EHLO reply, upper-cased keyword → parameters (`AUTH` → `["PLAIN", "LOGIN"]`).
    /// The first line is the server's greeting, not an extension.
    var extensions: [String: [String]] {
        var result: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first else { continue }
            result[keyword.uppercased()] = words.dropFirst().map { $0.uppercased() }
        }
        return result
    }
}

/// Gathers reply lines (`250-...` continues, `250 ...` ends) into replies.
struct SMTPReplyAssembler {
    private var code: Int?
    private var lines: [String] = []

    enum Failure: Error, Equatable {
        /// A line that is not `ddd`, `ddd text` or `ddd-text`, or a continuation with another code.
        case malformed(String)
    }

    /// The reply this line completes, or nil when more lines are to come.
    mutating func add(_ line: String) throws(Failure) -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let lineCode = Int(String(decoding: bytes[0..<3], as: UTF8.self)) else { throw .malformed(line) }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else { throw .malformed(line) }
        if let code, code != lineCode { throw .malformed(line) }
        code = lineCode
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard separator == UInt8(ascii: " ") else { return nil }
        defer { code = nil; lines = [] }
        return SMTPReply(code: lineCode, lines: lines)
    }
}
