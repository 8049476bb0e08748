import Foundation
import VigilCore

/// A `Mail` made ready for SMTP: the envelope addresses, and the message (RFC 5322 headers and a MIME
/// text/plain body) whose lines end in CRLF. Dot-stuffing is left to `dataPayload`, the one place that
/// writes the DATA section.
struct SMTPMessage: Sendable {
    var sender: MailAddress
    var recipient: MailAddress
    var subject: String
    /// The body's lines, without line ends.
    var bodyLines: [String]
    var date: Date
    /// `<random@sender-domain>`.
    var messageID: String

    /// RFC 5322 §2.1.1: a line must not exceed 998 octets; longer lines are sent quoted-printable.
    static let maximumLineOctets = 998

    init(_ mail: Mail, date: Date = Date(), messageID: String? = nil) throws {
        sender = try MailAddress(mail.from, field: "From")
        recipient = try MailAddress(mail.to, field: "To")
        guard !mail.subject.contains(where: { $0.isNewline }) else {
            throw VigilError(.invalidArgument, "the mail's subject contains a line break (it would end the header)")
        }
        subject = mail.subject
        // "\r\n" is one Character in Swift, so splitting on newlines handles CRLF, LF and CR alike.
        var lines = mail.body.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        bodyLines = lines
        self.date = date
        var random = SystemRandomNumberGenerator()
        self.messageID = messageID ?? "<\(String(random.next(), radix: 36)).\(String(random.next(), radix: 36))@\(sender.domain)>"
    }

    enum TransferEncoding: String, Sendable {
        case sevenBit = "7bit"
        case eightBit = "8bit"
        case quotedPrintable = "quoted-printable"
    }

    /// 7bit for ASCII, 8bit for UTF-8 when the server announced 8BITMIME, quoted-printable otherwise
    /// (and for lines too long for SMTP).
    func transferEncoding(serverAccepts8BitMIME: Bool) -> TransferEncoding {
        if bodyLines.contains(where: { $0.utf8.count > Self.maximumLineOctets }) { return .quotedPrintable }
        if bodyLines.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) { return .sevenBit }
        return serverAccepts8BitMIME ? .eightBit : .quotedPrintable
    }

    /// The header lines (folded lines start with a space).
    func headerLines(encoding: TransferEncoding) -> [String] {
        var lines = ["Date: \(Self.rfc5322Date(date))", "From: \(sender.headerValue)", "To: \(recipient.headerValue)"]
        if EncodedWord.isPlain(subject) {
            lines.append("Subject: \(subject)")
        } else {
            let words = EncodedWord.encode(subject)
            lines.append("Subject: \(words[0])")
            lines += words.dropFirst().map { " \($0)" }
        }
        lines += ["Message-ID: \(messageID)", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                  "Content-Transfer-Encoding: \(encoding.rawValue)"]
        return lines
    }

    /// The body's lines in `encoding`.
    func encodedBodyLines(encoding: TransferEncoding) -> [String] {
        switch encoding {
        case .sevenBit, .eightBit: return bodyLines
        case .quotedPrintable: return bodyLines.flatMap(QuotedPrintable.encode)
        }
    }

    /// Everything sent after `354`: the message with CRLF line ends, each line starting with "." doubled
    /// (RFC 5321 §4.5.2), then the terminating `.` line.
    func dataPayload(encoding: TransferEncoding) -> String {
        var payload = ""
        for line in headerLines(encoding: encoding) + [""] + encodedBodyLines(encoding: encoding) {
            if line.hasPrefix(".") { payload += "." }
            payload += line
            payload += "\r\n"
        }
        return payload + ".\r\n"
    }

    /// `Mon, 01 Dec 2025 12:01:00 +0000` (RFC 5322 §3.3), in UTC.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
