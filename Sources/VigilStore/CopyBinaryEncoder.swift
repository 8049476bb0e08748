#if canImport(Glibc)
import Glibc
import VigilCore
#endif

/// Writes rows in PostgreSQL's binary COPY format (`COPY ... FROM STDIN (FORMAT binary)`): the `PGCOPY`
/// header once, then per row an int16 field count and per field an int32 length (-1 for NULL) and the
/// value in the type's network (big-endian) representation. The caller writes the fields in the table's
/// column order with the method of the column's exact type: binary COPY has no casts, an `integer` column
/// takes exactly 4 bytes.
///
/// The bytes live in a copy-on-write buffer written through raw pointers: this runs for every field of
/// every row, on the cores the server needs too.
public struct CopyBinaryEncoder: Sendable {
    private var storage: Storage
    private var count = 0
    /// Rows written.
    public private(set) var rows = 0
    /// The first integer that did not fit its column, if any: the batch must not be written.
    public private(set) var outOfRange: (value: Int, bits: Int)?
    private var fieldCountOffset = -1
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
        storage = Storage(capacity: max(64, capacity))
    }

    public var isEmpty: Bool { count == 0 }

    /// The encoded rows without the trailer (the header included), valid during `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafeRawBufferPointer(start: storage.base, count: count)) }
    }

    // MARK: Fields

    public mutating func endRow() {
        if fieldCountOffset < 0 { _ = field(0); fields = 0 }   // a row without fields
        storage.base.storeBytes(of: fields.bigEndian, toByteOffset: fieldCountOffset, as: Int16.self)
        fieldCountOffset = -1
        fields = 0
        rows += 1
    }

    public mutating func null() {
        let at = field(4)   // before `put`: a call holding `self` while `field` grows the buffer would write the old one
        put(Int32(-1), at: at)
    }

    /// A `smallint`.
    public mutating func int16(_ value: Int) {
        let at = field(6)
        put(Int32(2), at: at)
        put(Int16(checking: value, &outOfRange), at: at + 4)
    }

    /// An `integer`.
    public mutating func int32(_ value: Int) {
        let at = field(8)
        put(Int32(4), at: at)
        put(Int32(checking: value, &outOfRange), at: at + 4)
    }

    public mutating func int32(_ value: Int?) {
        if let value { int32(value) } else { null() }
    }

    /// A `bigint`.
    public mutating func int64(_ value: Int) {
        let at = field(12)
        put(Int32(8), at: at)
        put(Int64(value), at: at + 4)
    }

    /// A `double precision`: the IEEE 754 bits, so every value arrives exactly.
    public mutating func float8(_ value: Double) {
        let at = field(12)
        put(Int32(8), at: at)
        put(value.bitPattern, at: at + 4)
    }

    public mutating func float8(_ value: Double?) {
        if let value { float8(value) } else { null() }
    }

    /// A `real`.
    public mutating func float4(_ value: Float) {
        let at = field(8)
        put(Int32(4), at: at)
        put(value.bitPattern, at: at + 4)
    }

    public mutating func bool(_ value: Bool) {
        let at = field(5)
        put(Int32(1), at: at)
        put(UInt8(value ? 1 : 0), at: at + 4)
    }

    /// A `timestamptz` from Unix time in microseconds.
    public mutating func timestamp(microseconds: Int64) {
        let at = field(12)
        put(Int32(8), at: at)
        put(microseconds &- Self.postgresEpochMicros, at: at + 4)
    }

    /// A `text` value. PostgreSQL text cannot hold NUL, so NUL characters are left out.
    public mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in putLengthPrefixed(utf8, at: field(4 + utf8.count)) }
    }

    public mutating func text(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    /// A `jsonb` object of string values (keys sorted): version byte 1, then the JSON text.
    public mutating func jsonObject(_ values: [String: String]) {
        var json = JSONText.object(values)
        json.withUTF8 { utf8 in
            let at = field(5 + utf8.count)
            put(UInt8(1), at: at + 4)
            let length = copyText(utf8, to: at + 5)
            put(Int32(1 + length), at: at)
            count = at + 5 + length
        }
    }

    /// A one-dimensional `text[]` without NULLs.
    public mutating func textArray(_ values: [String]) {
        let at = field(4)
        let start = count
        append(Int32(values.isEmpty ? 0 : 1))   // dimensions
        append(Int32(0))                        // no NULL elements
        append(Self.textOID)
        if !values.isEmpty {
            append(Int32(values.count))
            append(Int32(1))                    // lower bound
            for value in values {
                var value = value
                value.withUTF8 { utf8 in putLengthPrefixed(utf8, at: reserve(4 + utf8.count)) }
            }
        }
        put(Int32(count - start), at: at)
    }

    // MARK: Bytes

    /// Writes `utf8` (NULs left out) as an int32 length and the bytes at `at`, which has room for
    /// `4 + utf8.count` bytes, and ends the buffer after it.
    @inline(__always) private mutating func putLengthPrefixed(_ utf8: UnsafeBufferPointer<UInt8>, at: Int) {
        let length = copyText(utf8, to: at + 4)
        put(Int32(length), at: at)
        count = at + 4 + length
    }

    /// Starts a field of `bytes` bytes (length word included), opening the row (and the stream) first
    /// when needed; returns where the field starts.
    @inline(__always) private mutating func field(_ bytes: Int) -> Int {
        if fieldCountOffset < 0 {
            if count == 0 {
                let at = reserve(Self.header.count)
                Self.header.withUnsafeBytes { storage.base.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                count += Self.header.count
            }
            fieldCountOffset = reserve(2)
            count += 2
        }
        fields += 1
        let at = reserve(bytes)
        count += bytes
        return at
    }

    /// Makes room for `bytes` more bytes (copying a shared buffer first); returns the current end.
    @inline(__always) private mutating func reserve(_ bytes: Int) -> Int {
        if count + bytes > storage.capacity || !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy(count: count, capacity: max(count + bytes, count > storage.capacity / 2 ? storage.capacity * 2 : storage.capacity))
        }
        return count
    }

    @inline(__always) private func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storage.base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }

    @inline(__always) private mutating func append<T: FixedWidthInteger>(_ value: T) {
        let at = reserve(MemoryLayout<T>.size)
        put(value, at: at)
        count += MemoryLayout<T>.size
    }

    /// Copies UTF-8 bytes to `offset` (room reserved), leaving out NUL; returns the bytes copied.
    @inline(__always) private func copyText(_ utf8: UnsafeBufferPointer<UInt8>, to offset: Int) -> Int {
        guard let source = utf8.baseAddress, !utf8.isEmpty else { return 0 }
        let destination = storage.base.advanced(by: offset)
        if memchr(source, 0, utf8.count) == nil {
            destination.copyMemory(from: source, byteCount: utf8.count)
            return utf8.count
        }
        var length = 0
        for byte in utf8 where byte != 0 {
            destination.storeBytes(of: byte, toByteOffset: length, as: UInt8.self)
            length += 1
        }
        return length
    }

    /// The encoder's bytes: written only while uniquely referenced (copy on write), so sharing is safe.
    private final class Storage: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }

        func copy(count: Int, capacity: Int) -> Storage {
            let new = Storage(capacity: capacity)
            new.base.copyMemory(from: base, byteCount: count)
            return new
        }

        deinit { base.deallocate() }
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
        var out = ""
        JSONString.append(s, to: &out, droppingNUL: true)   // jsonb cannot hold \u0000
        return out
    }
}
