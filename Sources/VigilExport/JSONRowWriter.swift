import Foundation
import VigilStore

/// JSON Lines (one object per line) or one JSON array of the same objects. Keys are the column names
/// in column order; NULL is `null`, times ISO 8601 strings, JSON columns are embedded as JSON.
final class JSONRowWriter: RowWriter {
    private let file: OutputFile
    private let keys: [[UInt8]]
    private let types: [SQLColumnType]
    private let array: Bool
    private var first = true

    init(columns: [SQLColumn], path: String, array: Bool) throws {
        file = try OutputFile(path: path)
        self.array = array
        types = columns.map(\.type)
        keys = columns.enumerated().map { i, column in
            var key: [UInt8] = i == 0 ? [0x7B] : [0x2C]
            FieldEncoding.appendJSONString(column.name, to: &key)
            key.append(0x3A)
            return key
        }
        if array { try file.write("[") }
    }

    func write(_ row: [SQLValue]) throws {
        try file.append { out in
            if array { out.append(contentsOf: first ? [0x0A] : [0x2C, 0x0A]) }
            for i in row.indices {
                out.append(contentsOf: keys[i])
                Self.append(row[i], type: types[i], to: &out)
            }
            out.append(0x7D)
            if !array { out.append(0x0A) }
        }
        first = false
    }

    func finish() throws {
        if array { try file.write(first ? "]\n" : "\n]\n") }
        try file.commit()
    }

    static func append(_ value: SQLValue, type: SQLColumnType, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .int(let v): FieldEncoding.appendInt(v, to: &out)
        case .double(let v): FieldEncoding.appendDouble(v, json: true, to: &out)
        case .bool(let v): out.append(contentsOf: (v ? "true" : "false").utf8)
        case .time(let v):
            out.append(0x22)
            FieldEncoding.appendTime(v, to: &out)
            out.append(0x22)
        case .text(let v):
            if type == .json { out.append(contentsOf: v.utf8) } else { FieldEncoding.appendJSONString(v, to: &out) }
        case .bytes(let v): FieldEncoding.appendJSONString(v.base64EncodedString(), to: &out)  // no dataset has one; base64 if ever
        }
    }
}
