public import NIOCore

/// Writes rows in PostgreSQL's binary COPY format (`COPY ... FROM STDIN (FORMAT binary)`) straight into a
/// `ByteBuffer`: the `PGCOPY` header once, then per row an int16 field count and per field an int32 length
/// (-1 for NULL) and the value in the type's network (big-endian) representation. The caller writes the
/// fields in the table's column order with the method of the column's exact type: binary COPY has no
/// casts, an `integer` column takes exactly 4 bytes.
public struct CopyBinaryEncoder: Sendable {
    public private(set) var buffer: ByteBuffer
    /// Rows written.
    public private(set) var rows = 0
    /// The first integer that did not fit its column, if any: the batch must not be written.
    public private(set) var outOfRange: (value: Int, bits: Int)?
    private var fieldCountIndex = -1
    private var fields: Int16 = 0

    /// The signature, flags (0) and header extension length (0) that open a binary COPY stream.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// The file trailer: a field count of -1.
    public static let trailer: [UInt8] = [0xFF, 0xFF]
    /// PostgreSQL's timestamp epoch, 2000-01-01 00:00:00 UTC, in Unix microseconds.
    static let postgresEpochMicros: Int64 = 946_684_800_000_000
    /// OID of `text`, the element type of `text[]`.
    static let textOID: Int32 = 25

    public init(capacity: Int = 1 << 16) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    public var isEmpty: Bool { rows == 0 && fieldCountIndex < 0 }

    @inline(__always) private mutating func field() {
        if fieldCountIndex < 0 {
            if buffer.writerIndex == 0 { buffer.writeBytes(Self.header) }
            fieldCountIndex = buffer.writerIndex
            buffer.writeInteger(Int16(0))
        }
        fields += 1
    }

    public mutating func endRow() {
        if fieldCountIndex < 0 { field(); fields = 0 }   // a row without fields
        buffer.setInteger(fields, at: fieldCountIndex)
        fieldCountIndex = -1
        fields = 0
        rows += 1
    }

    public mutating func null() {
        field()
        buffer.writeInteger(Int32(-1))
    }

    /// A `smallint`.
    public mutating func int16(_ value: Int) {
        field()
        buffer.writeInteger(Int32(2))
        buffer.writeInteger(Int16(checking: value, &outOfRange))
    }

    /// An `integer`.
    public mutating func int32(_ value: Int) {
        field()
        buffer.writeInteger(Int32(4))
        buffer.writeInteger(Int32(checking: value, &outOfRange))
    }

    public mutating func int32(_ value: Int?) {
        if let value { int32(value) } else { null() }
    }

    /// A `bigint`.
    public mutating func int64(_ value: Int) {
        field()
        buffer.writeInteger(Int32(8))
        buffer.writeInteger(Int64(value))
    }

    /// A `double precision`: the IEEE 754 bits, so every value arrives exactly.
    public mutating func float8(_ value: Double) {
        field()
        buffer.writeInteger(Int32(8))
        buffer.writeInteger(value.bitPattern)
    }

    public mutating func float8(_ value: Double?) {
        if let value { float8(value) } else { null() }
    }

    /// A `real`.
    public mutating func float4(_ value: Float) {
        field()
        buffer.writeInteger(Int32(4))
        buffer.writeInteger(value.bitPattern)
    }

    public mutating func bool(_ value: Bool) {
        field()
        buffer.writeInteger(Int32(1))
        buffer.writeInteger(UInt8(value ? 1 : 0))
    }

    /// A `timestamptz` from Unix time in microseconds.
    public mutating func timestamp(microseconds: Int64) {
        field()
        buffer.writeInteger(Int32(8))
        buffer.writeInteger(microseconds &- Self.postgresEpochMicros)
    }

    /// A `text` value. PostgreSQL text cannot hold NUL, so NUL characters are left out.
    public mutating func text(_ value: String) {
        field()
        writeLengthPrefixed { $0.writeTextBytes(value) }
    }

    public mutating func text(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    /// A `jsonb` object of string values (keys sorted): version byte 1, then the JSON text.
    public mutating func jsonObject(_ values: [String: String]) {
        field()
        writeLengthPrefixed { buffer in
            buffer.writeInteger(UInt8(1))
            buffer.writeTextBytes(JSONText.object(values))
        }
    }

    /// A one-dimensional `text[]` without NULLs.
    public mutating func textArray(_ values: [String]) {
        field()
        writeLengthPrefixed { buffer in
            buffer.writeInteger(Int32(values.isEmpty ? 0 : 1))   // dimensions
            buffer.writeInteger(Int32(0))                        // no NULL elements
            buffer.writeInteger(Self.textOID)
            guard !values.isEmpty else { return }
            buffer.writeInteger(Int32(values.count))
            buffer.writeInteger(Int32(1))                        // lower bound
            for value in values {
                let start = buffer.writerIndex
                buffer.writeInteger(Int32(0))
                let length = buffer.writeTextBytes(value)
                buffer.setInteger(Int32(length), at: start)
            }
        }
    }

    @inline(__always) private mutating func writeLengthPrefixed(_ body: (inout ByteBuffer) -> Void) {
        let start = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        body(&buffer)
        buffer.setInteger(Int32(buffer.writerIndex - start - 4), at: start)
    }
}

extension ByteBuffer {
    /// Writes the UTF-8 of `value` without NUL bytes; returns the number of bytes written.
    @discardableResult @inline(__always)
    fileprivate mutating func writeTextBytes(_ value: String) -> Int {
        var value = value
        let clean = value.withUTF8 { !$0.contains(0) }
        if clean { return writeString(value) }
        return writeBytes(value.utf8.filter { $0 != 0 })
    }
}

extension FixedWidthInteger where Self: SignedInteger {
    /// `value` when it fits; otherwise the nearest bound, recording the value in `outOfRange`.
    @inline(__always)
    fileprivate init(checking value: Int, _ outOfRange: inout (value: Int, bits: Int)?) {
        if let exact = Self(exactly: value) { self = exact; return }
        if outOfRange == nil { outOfRange = (value, Self.bitWidth) }
        self = value < 0 ? .min : .max
    }
}

/// JSON text for the string maps stored in `jsonb` columns.
enum JSONText {
    /// `{"key":"value",...}` with keys sorted.
    static func object(_ values: [String: String]) -> String {
        var json = "{"
        for (i, key) in values.keys.sorted().enumerated() {
            if i > 0 { json += "," }
            json += string(key) + ":" + string(values[key]!)
        }
        return json + "}"
    }

    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}": continue   // jsonb cannot hold \u0000
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
