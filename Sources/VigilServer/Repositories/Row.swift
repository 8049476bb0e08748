import Foundation
import VigilStore

/// Reading typed values out of a result row, failing loudly on a schema mismatch (a server bug, not a client error).
struct Row {
    let values: [SQLValue]
    init(_ values: [SQLValue]) { self.values = values }

    struct Mismatch: Error, CustomStringConvertible {
        var column: Int
        var expected: String
        var got: SQLValue
        var description: String { "column \(column): expected \(expected), got \(got)" }
    }

    func int(_ i: Int) throws -> Int { guard let v = values[i].int else { throw Mismatch(column: i, expected: "int", got: values[i]) }; return v }
    func double(_ i: Int) throws -> Double { guard let v = values[i].double else { throw Mismatch(column: i, expected: "double", got: values[i]) }; return v }
    func text(_ i: Int) throws -> String { guard let v = values[i].text else { throw Mismatch(column: i, expected: "text", got: values[i]) }; return v }
    func bool(_ i: Int) throws -> Bool { guard let v = values[i].bool else { throw Mismatch(column: i, expected: "bool", got: values[i]) }; return v }
    func time(_ i: Int) throws -> Date { guard let v = values[i].time else { throw Mismatch(column: i, expected: "time", got: values[i]) }; return v }
    func uuid(_ i: Int) throws -> UUID {
        guard let text = values[i].text, let v = UUID(uuidString: text) else { throw Mismatch(column: i, expected: "uuid", got: values[i]) }
        return v
    }
    func optionalInt(_ i: Int) -> Int? { values[i].int }
    func optionalDouble(_ i: Int) -> Double? { values[i].double }
    func optionalText(_ i: Int) -> String? { values[i].text }
    func optionalTime(_ i: Int) -> Date? { values[i].time }
    func optionalBool(_ i: Int) -> Bool? { values[i].bool }
    func optionalUUID(_ i: Int) -> UUID? { values[i].text.flatMap(UUID.init(uuidString:)) }
    /// A JSON column selected as `::text`, decoded as a free-form object.
    func json(_ i: Int) -> JSONValue { values[i].text.flatMap { try? Self.decoder.decode(JSONValue.self, from: Data($0.utf8)) } ?? .object([:]) }
    private static let decoder = JSONDecoder()
}

/// Free-form JSON (attributes, details) passed through the API as it is stored.
enum JSONValue: Codable, Sendable, Equatable, ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }

    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .number(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }

    /// Compact JSON text for a jsonb parameter.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}
