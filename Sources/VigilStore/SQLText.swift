/// Text representations of parameter values for statements sent with text parameters
/// (`PQexecParams`): timestamps, and array literals for `unnest($n::type[])`.
enum SQLText {
    /// A `timestamptz` from Unix time in microseconds: `YYYY-MM-DD HH:MM:SS.ffffff+00`, exact.
    static func timestamp(_ microseconds: Int64) -> String {
        let day = UTCDay(microseconds: microseconds)
        let rest = microseconds - Int64(day.daysSinceEpoch) * 86_400_000_000
        let seconds = Int(rest / 1_000_000), micros = Int(rest % 1_000_000)
        let (y, m, d) = day.civil
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + " " + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2)
            + ":" + pad(seconds % 60, 2) + "." + pad(micros, 6) + "+00"
    }

    static func array(_ values: [Int]) -> String { "{" + values.map(String.init).joined(separator: ",") + "}" }

    static func array(_ values: [Int?]) -> String {
        "{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}"
    }

    static func array(_ values: [Double]) -> String { "{" + values.map(double).joined(separator: ",") + "}" }

    static func array(_ values: [Double?]) -> String {
        "{" + values.map { $0.map(double) ?? "NULL" }.joined(separator: ",") + "}"
    }

    /// A `text[]` literal: every element quoted, backslashes and quotes escaped, NUL left out.
    static func array(_ values: [String]) -> String { array(values.map { Optional($0) }) }

    /// A `text[]` literal with NULL elements.
    static func array(_ values: [String?]) -> String {
        var out = "{"
        for (i, element) in values.enumerated() {
            if i > 0 { out += "," }
            guard let value = element else {
                out += "NULL"
                continue
            }
            out += "\""
            for scalar in value.unicodeScalars where scalar != "\u{0}" {
                if scalar == "\\" || scalar == "\"" { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
            out += "\""
        }
        return out + "}"
    }

    /// A float8 in the shortest form that reads back as the same Double.
    static func double(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }

    /// A bytea in hex input form (`\x0a1b...`).
    static func byteaHex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        out.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
