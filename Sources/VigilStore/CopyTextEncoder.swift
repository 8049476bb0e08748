public import NIOCore

/// Writes rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes)
/// straight into a `ByteBuffer`, without intermediate strings for numbers and timestamps.
public struct CopyTextEncoder: Sendable {
    public var buffer: ByteBuffer
    private var fieldCount = 0

    public init(capacity: Int = 1 << 16) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    public var isEmpty: Bool { buffer.readableBytes == 0 }

    @inline(__always) private mutating func separator() {
        if fieldCount > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fieldCount += 1
    }

    public mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        fieldCount = 0
    }

    public mutating func null() {
        separator()
        buffer.writeStaticString("\\N")
    }

    public mutating func int(_ value: Int) {
        separator()
        writeDigits(value)
    }

    public mutating func int(_ value: Int?) {
        if let value { int(value) } else { null() }
    }

    public mutating func double(_ value: Double) {
        separator()
        if value.isNaN { buffer.writeStaticString("NaN"); return }
        if value.isInfinite { buffer.writeStaticString(value < 0 ? "-Infinity" : "Infinity"); return }
        if value == value.rounded(), abs(value) < 1e15 {
            writeDigits(Int(value))
            if value == 0, value.sign == .minus { buffer.moveWriterIndex(to: buffer.writerIndex - 1); buffer.writeStaticString("-0") }
            return
        }
        // Swift prints the shortest digits that read back as the same Double; float8in reads them exactly.
        buffer.writeString(value.description)
    }

    public mutating func double(_ value: Double?) {
        if let value { double(value) } else { null() }
    }

    public mutating func bool(_ value: Bool) {
        separator()
        buffer.writeInteger(UInt8(ascii: value ? "t" : "f"))
    }

    public mutating func text(_ value: String) {
        separator()
        var needsEscape = false
        for byte in value.utf8 where byte == UInt8(ascii: "\\") || byte < 0x20 { needsEscape = true; break }
        if !needsEscape { buffer.writeString(value); return }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case 0: continue   // PostgreSQL text cannot hold NUL
            case ..<0x20:
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(UInt8(ascii: "0") + (byte >> 6))
                buffer.writeInteger(UInt8(ascii: "0") + ((byte >> 3) & 7))
                buffer.writeInteger(UInt8(ascii: "0") + (byte & 7))
            default: buffer.writeInteger(byte)
            }
        }
    }

    public mutating func text(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    /// A `timestamptz` from Unix time in microseconds, as `YYYY-MM-DD HH:MM:SS.ffffff+00`.
    public mutating func timestamp(microseconds: Int64) {
        separator()
        let day = UTCDay(microseconds: microseconds)
        var rest = microseconds - Int64(day.daysSinceEpoch) * 86_400_000_000
        let (y, m, d) = day.civil
        writePadded(y, width: 4); buffer.writeInteger(UInt8(ascii: "-"))
        writePadded(m, width: 2); buffer.writeInteger(UInt8(ascii: "-"))
        writePadded(d, width: 2); buffer.writeInteger(UInt8(ascii: " "))
        let micros = Int(rest % 1_000_000); rest /= 1_000_000
        writePadded(Int(rest / 3600), width: 2); buffer.writeInteger(UInt8(ascii: ":"))
        writePadded(Int(rest / 60 % 60), width: 2); buffer.writeInteger(UInt8(ascii: ":"))
        writePadded(Int(rest % 60), width: 2)
        if micros != 0 { buffer.writeInteger(UInt8(ascii: ".")); writePadded(micros, width: 6) }
        buffer.writeStaticString("+00")
    }

    /// A `jsonb` object of string values.
    public mutating func jsonObject(_ values: [String: String]) {
        var json = "{"
        for (i, key) in values.keys.sorted().enumerated() {
            if i > 0 { json += "," }
            json += Self.jsonString(key) + ":" + Self.jsonString(values[key]!)
        }
        text(json + "}")
    }

    /// A `text[]` literal.
    public mutating func textArray(_ values: [String]) {
        let items = values.map { "\"" + $0.replacingBackslashesAndQuotes + "\"" }
        text("{" + items.joined(separator: ",") + "}")
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}": continue
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @inline(__always) private mutating func writeDigits(_ value: Int) {
        if value < 0 { buffer.writeString(String(value)); return }
        if value < 10 { buffer.writeInteger(UInt8(ascii: "0") + UInt8(value)); return }
        var digits: (UInt64, UInt64) = (0, 0)   // up to 16 bytes of scratch
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            while v > 0, count < 16 { scratch[15 - count] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; count += 1 }
        }
        if v > 0 { buffer.writeString(String(value)); return }
        withUnsafeBytes(of: &digits) { scratch in
            _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[(16 - count)...]))
        }
    }

    @inline(__always) private mutating func writePadded(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(v / divisor % 10))
            v %= divisor
            divisor /= 10
        }
    }
}

extension String {
    fileprivate var replacingBackslashesAndQuotes: String {
        var out = ""
        for c in self {
            if c == "\\" || c == "\"" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
