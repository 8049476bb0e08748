public import Foundation

/// The type of a result column as Vigil's exports see it; JSON columns come as their text.
public enum SQLColumnType: Sendable, Hashable {
    case int, double, text, time, bool
    /// A JSON document (an object or an array) as text: written raw into JSON, as text into CSV.
    case json
}

/// A named, typed column of an export query.
public struct SQLColumn: Sendable, Hashable {
    public var name: String
    public var type: SQLColumnType
    public init(_ name: String, _ type: SQLColumnType) { self.name = name; self.type = type }
}

/// Reads rows of PostgreSQL's binary COPY format (`COPY ... TO STDOUT (FORMAT binary)`), one CopyData
/// message at a time, into ``SQLValue``s by the query's column types. The header (in the first message)
/// and the trailer (a field count of -1) are recognised and skipped.
struct CopyBinaryDecoder {
    let types: [SQLColumnType]
    private var sawHeader = false
    private static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
    /// PostgreSQL's epoch (2000-01-01) in seconds since 1970.
    private static let epochOffset: Double = 946_684_800

    init(types: [SQLColumnType]) { self.types = types }

    /// Decodes the row in `message` into `row` (replacing its values); false when the message held none.
    mutating func decode(_ message: UnsafeRawBufferPointer, into row: inout [SQLValue]) throws -> Bool {
        var offset = 0
        if !sawHeader {
            guard message.count >= 19, message.prefix(11).elementsEqual(Self.signature) else {
                throw LibPQError(.protocolViolation, "binary COPY data without its PGCOPY header")
            }
            let extensionLength = Int(Self.int32(message, 15))
            offset = 19 + extensionLength
            sawHeader = true
            if offset >= message.count { return false }
        }
        guard message.count - offset >= 2 else { throw LibPQError(.protocolViolation, "truncated binary COPY row") }
        let fields = Int(Int16(bigEndian: message.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        offset += 2
        if fields == -1 { return false }   // the trailer
        guard fields == types.count else {
            throw LibPQError(.protocolViolation, "binary COPY row has \(fields) fields, expected \(types.count)")
        }
        row.removeAll(keepingCapacity: true)
        for type in types {
            guard message.count - offset >= 4 else { throw LibPQError(.protocolViolation, "truncated binary COPY row") }
            let length = Int(Self.int32(message, offset))
            offset += 4
            if length < 0 {
                row.append(.null)
                continue
            }
            guard message.count - offset >= length else { throw LibPQError(.protocolViolation, "truncated binary COPY field") }
            let field = UnsafeRawBufferPointer(rebasing: message[offset..<(offset + length)])
            offset += length
            row.append(try Self.value(field, type))
        }
        return true
    }

    private static func int32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int32 {
        Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    private static func value(_ field: UnsafeRawBufferPointer, _ type: SQLColumnType) throws -> SQLValue {
        switch type {
        case .int:
            switch field.count {
            case 2: return .int(Int(Int16(bigEndian: field.loadUnaligned(as: Int16.self))))
            case 4: return .int(Int(Int32(bigEndian: field.loadUnaligned(as: Int32.self))))
            case 8: return .int(Int(Int64(bigEndian: field.loadUnaligned(as: Int64.self))))
            default: throw LibPQError(.protocolViolation, "an integer field of \(field.count) bytes")
            }
        case .double:
            switch field.count {
            case 8: return .double(Double(bitPattern: UInt64(bigEndian: field.loadUnaligned(as: UInt64.self))))
            case 4: return .double(Double(Float(bitPattern: UInt32(bigEndian: field.loadUnaligned(as: UInt32.self)))))
            default: throw LibPQError(.protocolViolation, "a floating-point field of \(field.count) bytes")
            }
        case .time:
            guard field.count == 8 else { throw LibPQError(.protocolViolation, "a timestamp field of \(field.count) bytes") }
            let micros = Int64(bigEndian: field.loadUnaligned(as: Int64.self))
            return .time(SQLValue.date(postgresMicroseconds: micros))
        case .bool:
            guard field.count == 1 else { throw LibPQError(.protocolViolation, "a boolean field of \(field.count) bytes") }
            return .bool(field[0] != 0)
        case .text, .json:
            return .text(String(decoding: field, as: UTF8.self))
        }
    }
}

extension SQLValue {
    /// The date of a PostgreSQL timestamp (microseconds since 2000-01-01 UTC).
    static func date(postgresMicroseconds micros: Int64) -> Date {
        // Split so that the whole seconds stay exact in the Double.
        let seconds = micros.quotientAndRemainder(dividingBy: 1_000_000)
        return Date(timeIntervalSince1970: 946_684_800 + Double(seconds.quotient) + Double(seconds.remainder) / 1e6)
    }

    /// Unix milliseconds of a date, rounded to the microsecond first (so that 0.999999 s stays below 1 s
    /// only when it really is) and then down to the millisecond.
    public static func unixMilliseconds(_ date: Date) -> Int64 {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        return micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000)
    }
}
