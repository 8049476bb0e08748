public import Foundation
import PostgresNIO

/// One value of a result row, in Vigil's terms (no client library type leaves VigilStore).
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case text(String)
    case time(Date)
    /// `bytea`.
    case bytes(Data)

    public var int: Int? { if case .int(let v) = self { v } else { nil } }
    public var double: Double? {
        switch self {
        case .double(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }
    public var text: String? { if case .text(let v) = self { v } else { nil } }
    public var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var time: Date? { if case .time(let v) = self { v } else { nil } }
    public var bytes: Data? { if case .bytes(let v) = self { v } else { nil } }
    public var isNull: Bool { self == .null }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .bool(let v): "\(v)"
        case .int(let v): "\(v)"
        case .double(let v): "\(v)"
        case .text(let v): v
        case .time(let v): "\(v)"
        case .bytes(let v): "<\(v.count) bytes>"
        }
    }
}

extension Database {
    /// Runs SQL text (no parameters: for administration, tests and benchmarks) and discards its rows.
    public func execute(sql: String, doing: String) async throws {
        try await execute(PostgresQuery(unsafeSQL: sql), doing: doing)
    }

    /// Runs SQL text and returns every row. Integer, floating-point, boolean, text-like and timestamp
    /// columns come back as such; other types should be cast in the query (`::text`).
    public func rows(sql: String, doing: String) async throws -> [[SQLValue]] {
        try await withConnection(doing: doing) { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: self.logger)
            var out: [[SQLValue]] = []
            for try await row in rows {
                out.append(try row.map(SQLValue.init(cell:)))
            }
            return out
        }
    }

    /// The first column of the first row, or `.null` when there is none.
    public func scalar(sql: String, doing: String) async throws -> SQLValue {
        try await rows(sql: sql, doing: doing).first?.first ?? .null
    }
}

extension SQLValue {
    init(cell: PostgresCell) throws {
        guard cell.bytes != nil else {
            self = .null
            return
        }
        switch cell.dataType {
        case .bool: self = .bool(try cell.decode(Bool.self))
        case .int2, .int4, .int8, .oid: self = .int(try cell.decode(Int.self))
        case .float4, .float8: self = .double(try cell.decode(Double.self))
        case .timestamp, .timestamptz, .date: self = .time(try cell.decode(Date.self))
        case .bytea: self = .bytes(Data(try cell.decode(ByteBuffer.self).readableBytesView))
        default: self = .text(try cell.decode(String.self))
        }
    }
}
