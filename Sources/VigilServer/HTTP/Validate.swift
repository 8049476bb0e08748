import Foundation
import Hummingbird

/// Checks of client input that answer 400/422 with what was expected, before anything reaches SQL.
enum Validate {
    static func username(_ text: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard (3...64).contains(text.count), text.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else {
            throw APIError.unprocessable("username: 3 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
        }
    }

    static func email(_ text: String) throws {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard text.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
              !parts[1].hasSuffix("."), !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\r" || $0 == "\n" }) else {
            throw APIError.unprocessable("email: expected an address like name@example.com")
        }
    }

    /// Lengths count Unicode code points, as JSON Schema's `maxLength` does (a letter with combining marks
    /// is one `Character` but several code points).
    static func name(_ text: String, field: String = "name", max: Int = 100) throws -> String {
        guard text.unicodeScalars.count <= max, !text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) else {
            throw APIError.unprocessable("\(field): at most \(max) characters on one line")
        }
        return text
    }

    /// A text filter: at most `max` characters, no NUL (PostgreSQL text cannot hold it).
    static func filter(_ text: String?, _ field: String, max: Int = 200) throws -> String? {
        guard let text else { return nil }
        guard text.unicodeScalars.count <= max, !text.contains("\0") else {
            throw APIError.badRequest("\(field): at most \(max) characters", code: "invalid_parameter")
        }
        return text
    }
}

/// Typed query parameters: a malformed value is a 400 naming the parameter, never a 500 from the database.
struct Query {
    let parameters: [String: String]

    init(_ request: Request) {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { values[String(key)] = String(value) }
        parameters = values
    }

    private func bad(_ name: String, _ expected: String) -> APIError {
        .badRequest("query parameter \(name): expected \(expected)", code: "invalid_parameter")
    }

    func text(_ name: String, max: Int = 200) throws -> String? { try Validate.filter(parameters[name], name, max: max) }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let raw = parameters[name] else { return nil }
        guard let v = Int(raw), range.contains(v) else { throw bad(name, "an integer in \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func limit(default value: Int = 50, max: Int = 500) throws -> Int { try int("limit", in: 1...max) ?? value }
    func offset() throws -> Int { try int("offset", in: 0...1_000_000) ?? 0 }

    func uuid(_ name: String) throws -> UUID? {
        guard let raw = parameters[name] else { return nil }
        guard let v = UUID(uuidString: raw) else { throw bad(name, "a UUID") }
        return v
    }

    func time(_ name: String) throws -> Date? {
        guard let raw = parameters[name] else { return nil }
        guard let v = APIJSON.parseTime(raw) else { throw bad(name, "an ISO 8601 time like 2026-12-01T10:00:00Z") }
        return v
    }

    func oneOf<T: RawRepresentable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let raw = parameters[name] else { return nil }
        guard let v = T(rawValue: raw) else { throw bad(name, "one of the documented values") }
        return v
    }
}

/// Typed path parameters.
extension AppRequestContext {
    func uuidParameter(_ name: String, _ what: String) throws -> UUID {
        guard let raw = parameters.get(name), let v = UUID(uuidString: raw) else { throw APIError.notFound(what) }
        return v
    }

    /// Database ids are 32-bit: anything else cannot name a row.
    func idParameter(_ name: String, _ what: String) throws -> Int {
        guard let raw = parameters.get(name), let v = Int(raw), (1...Int(Int32.max)).contains(v) else { throw APIError.notFound(what) }
        return v
    }

    /// Ids of the high-volume tables (events, aggregate rows) are 64-bit.
    func bigIDParameter(_ name: String, _ what: String) throws -> Int {
        guard let raw = parameters.get(name), raw.count <= 16, let v = Int(raw), (1...Query.maxBigID).contains(v) else { throw APIError.notFound(what) }
        return v
    }
}
