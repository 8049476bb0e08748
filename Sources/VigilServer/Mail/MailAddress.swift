import Foundation
import VigilCore

/// An address of a `Mail` field, `vigil@example.com` or `Vigil <vigil@example.com>`: the bare address goes into
/// the envelope (`MAIL FROM:<...>`), the whole form into the header (a non-ASCII display name RFC 2047-encoded).
struct MailAddress: Sendable, Equatable {
    var displayName: String?
    /// `local@domain`, without angle brackets.
    var address: String

    var domain: Substring { address.split(separator: "@").last ?? "localhost" }

    /// `field` is the header it comes from (`From`, `To`), for the error.
    init(_ text: String, field: String) throws {
        func invalid(_ why: String) -> VigilError {
            VigilError(.invalidArgument, "the mail's \(field) address '\(text)' \(why)")
        }
        // CR and LF would end the header or the SMTP command early (header and command injection).
        guard !text.contains(where: { $0.isNewline }) else { throw invalid("contains a line break") }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
            displayName = name.isEmpty ? nil : name
        } else {
            address = trimmed
            displayName = nil
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw invalid("is not local@domain") }
        guard !address.contains(where: { $0 == "<" || $0 == ">" || $0 == " " || $0 == "\t" || $0 == "\"" }) else {
            throw invalid("contains a space, a quote or an angle bracket")
        }
    }

    /// The header form: `local@domain`, `Name <local@domain>`, `"Name, Inc." <...>` or `=?UTF-8?B?...?= <...>`.
    var headerValue: String {
        guard let displayName else { return address }
        let phrase: String
        if !displayName.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f }) {
            phrase = EncodedWord.encode(displayName).joined(separator: " ")
        } else if displayName.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0 == " " || ("0"..."9").contains($0) }) {
            phrase = displayName
        } else {
            phrase = "\"" + displayName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "\(phrase) <\(address)>"
    }
}
