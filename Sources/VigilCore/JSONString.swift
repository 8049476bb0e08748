/// JSON string escaping, shared by every writer of JSON text (JSON lines, `jsonb` columns). Any Swift
/// string gives valid JSON: `"` and `\` are escaped, control characters (U+0000-U+001F) become `\n`,
/// `\r`, `\t` or `\u00XX`, U+FEFF becomes `\ufeff`, and everything else, non-BMP characters included,
/// is written as UTF-8. (A `String` holds no unpaired UTF-16 surrogate: decoding repairs one to U+FFFD.)
public enum JSONString {
    /// Appends `s` to `out` as a quoted JSON string. `droppingNUL` leaves out U+0000, which PostgreSQL's
    /// `jsonb` cannot hold.
    public static func append(_ s: String, to out: inout String, droppingNUL: Bool = false) {
        out.append("\"")
        // Most strings (ids, labels, kinds) need no escaping: append them whole, not scalar by scalar.
        // 0xEF leads U+FEFF's UTF-8 (and other U+Fxxx, which merely take the slow path).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0xEF }) {
            out += s
            out.append("\"")
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}" where droppingNUL: continue
            // A raw U+FEFF at the start of a string reads as a byte-order mark to some parsers, which drop
            // it (Foundation's JSONSerialization on Linux does): escaped, it survives every reader.
            case "\u{FEFF}": out += "\\ufeff"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}
