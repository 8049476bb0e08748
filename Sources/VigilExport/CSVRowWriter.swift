import Foundation
import VigilStore

/// RFC 4180 CSV: header row, CRLF, quoting only where needed; NULL is an empty field, an empty string `""`.
final class CSVRowWriter: RowWriter {
    private let file: OutputFile
    private let types: [SQLColumnType]

    init(columns: [SQLColumn], path: String) throws {
        file = try OutputFile(path: path)
        types = columns.map(\.type)
        try file.append { out in
            for (i, column) in columns.enumerated() {
                if i > 0 { out.append(0x2C) }
                Self.appendText(column.name, to: &out)
            }
            out.append(0x0D); out.append(0x0A)
        }
    }

    func write(_ row: [SQLValue]) throws {
        try file.append { out in
            for i in row.indices {
                if i > 0 { out.append(0x2C) }
                switch row[i] {
                case .null: break
                case .int(let v): FieldEncoding.appendInt(v, to: &out)
                case .double(let v): FieldEncoding.appendDouble(v, json: false, to: &out)
                case .bool(let v): out.append(contentsOf: (v ? "true" : "false").utf8)
                case .time(let v): FieldEncoding.appendTime(v, to: &out)
                case .text(let v): Self.appendText(v, to: &out)
                case .bytes(let v): out.append(contentsOf: v.base64EncodedString().utf8)  // no dataset has one; base64 if ever
                }
            }
            out.append(0x0D); out.append(0x0A)
        }
    }

    func finish() throws { try file.commit() }

    static func appendText(_ s: String, to out: inout [UInt8]) {
        let utf8 = s.utf8
        let needsQuotes = utf8.isEmpty || utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(0x22)
        for byte in utf8 {
            if byte == 0x22 { out.append(0x22) }
            out.append(byte)
        }
        out.append(0x22)
    }
}
