/// JSON string escaping, shared by every writer of JSON text (JSON lines, `jsonb` columns).
public enum JSONString {
    /// Appends `s` to `out` as a quoted JSON string. `droppingNUL` leaves out U+0000, which PostgreSQL's
    /// `jsonb` cannot hold.
    public static func append(_ s: String, to out: inout String, droppingNUL: Bool = false) {
        out.append("\"")
        // Most strings (ids, labels, kinds) need no escaping: append them whole, not scalar by scalar.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
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
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}
