/// Quoted-printable (RFC 2045 §6.7) for one line of UTF-8 text: the encoded lines, each at most 76
/// characters, all but the last ending in a soft line break (`=`).
enum QuotedPrintable {
    static let maximumLineLength = 76

    static func encode(_ line: String) -> [String] {
        let bytes = Array(line.utf8)
        var lines: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let token: String
            switch byte {
            // A space or tab at the end of a line would be stripped in transit; "." first on a line is
            // encoded too, so that no relay has to dot-stuff it.
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                token = isLast ? escape(byte) : String(UnicodeScalar(byte))
            case UInt8(ascii: "."):
                token = current.isEmpty ? escape(byte) : "."
            case 33...126 where byte != UInt8(ascii: "="):
                token = String(UnicodeScalar(byte))
            default:
                token = escape(byte)
            }
            // Room for the soft break "=" unless this is the line's last token.
            let limit = isLast ? maximumLineLength : maximumLineLength - 1
            if current.utf8.count + token.utf8.count > limit {
                lines.append(current + "=")
                current = token == "." ? escape(byte) : token
            } else {
                current += token
            }
        }
        lines.append(current)
        return lines
    }

    private static func escape(_ byte: UInt8) -> String {
        let hex = Array("0123456789ABCDEF")
        return "=" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0f)])
    }
}
