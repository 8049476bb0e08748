public import Foundation
public import VigilCore

/// A recorded time written in file names, as dashcams and NVRs name their recordings:
/// `time_from_name: "%Y%m%d_%H%M%S"` reads `REC_20240101_103005.mp4` as 2024-01-01 10:30:05.
///
/// strftime-like: `%Y` (4-digit year), `%y` (2 digits: 69-99 are 19xx, 00-68 are 20xx, as POSIX
/// `strptime`), `%m`, `%d`, `%H`, `%M`, `%S` (2 digits each) and `%%` (a `%`); every other character
/// stands for itself. A year, month and day are required; hour, minute and second default to 0. The
/// pattern may match anywhere in the file's base name (the leftmost place where it reads a real date
/// and time wins). Pure logic, no I/O.
public struct FileNameTimePattern: Sendable, Hashable, CustomStringConvertible {
    enum Field: Character, CaseIterable {
        case year = "Y", shortYear = "y", month = "m", day = "d", hour = "H", minute = "M", second = "S"
        var digits: Int { self == .year ? 4 : 2 }
    }
    enum Piece: Hashable {
        case literal(UInt8)
        case field(Field)
    }

    /// The pattern as written.
    public let text: String
    let pieces: [Piece]

    /// Checks `text`; the error's message says what is wrong (for a `file:line:column` diagnostic).
    public init(_ text: String) throws(VigilError) {
        self.text = text
        var pieces: [Piece] = []
        var seen: Set<Field> = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else { pieces.append(.literal(byte)); continue }
            guard let next = bytes.popFirst() else {
                throw Self.invalid(text, "it ends with a lone '%' (write %% for a percent sign)")
            }
            if next == UInt8(ascii: "%") { pieces.append(.literal(next)); continue }
            guard let field = Field(rawValue: Character(Unicode.Scalar(next))) else {
                throw Self.invalid(text, "unknown directive %\(Character(Unicode.Scalar(next))); use %Y %y %m %d %H %M %S or %%")
            }
            guard seen.insert(field).inserted else { throw Self.invalid(text, "%\(field.rawValue) appears twice") }
            pieces.append(.field(field))
        }
        if seen.contains(.year) && seen.contains(.shortYear) { throw Self.invalid(text, "it has both %Y and %y") }
        let missing = [("a year (%Y)", seen.contains(.year) || seen.contains(.shortYear)), ("a month (%m)", seen.contains(.month)),
                       ("a day (%d)", seen.contains(.day))].filter { !$0.1 }.map(\.0)
        if !missing.isEmpty { throw Self.invalid(text, "it needs " + missing.joined(separator: ", ")) }
        self.pieces = pieces
    }

    private static func invalid(_ text: String, _ why: String) -> VigilError {
        VigilError(.invalidPipeline, "invalid time_from_name '\(text)': \(why)")
    }

    /// The recorded time in the base name of `path` (folders are not searched), read in `timeZone`;
    /// `nil` when the pattern reads no valid date and time anywhere in it.
    public func date(inNameOf path: String, timeZone: TimeZone) -> Date? {
        let name = Array((path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path).utf8)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        for start in name.indices {
            if let components = match(name, from: start), let date = Self.date(components, calendar: calendar) { return date }
        }
        return nil
    }

    private func match(_ name: [UInt8], from start: Int) -> [Field: Int]? {
        var i = start
        var values: [Field: Int] = [:]
        for piece in pieces {
            switch piece {
            case .literal(let byte):
                guard i < name.count, name[i] == byte else { return nil }
                i += 1
            case .field(let field):
                guard i + field.digits <= name.count else { return nil }
                var value = 0
                for byte in name[i..<(i + field.digits)] {
                    guard byte >= 48, byte <= 57 else { return nil }
                    value = value * 10 + Int(byte - 48)
                }
                values[field] = value
                i += field.digits
            }
        }
        return values
    }

    private static func date(_ v: [Field: Int], calendar: Calendar) -> Date? {
        let year = v[.year] ?? v[.shortYear].map { $0 >= 69 ? 1900 + $0 : 2000 + $0 }
        guard let year, let month = v[.month], let day = v[.day], (1...12).contains(month), day >= 1 else { return nil }
        let hour = v[.hour] ?? 0, minute = v[.minute] ?? 0, second = v[.second] ?? 0
        guard hour < 24, minute < 60, second < 60,
              let days = calendar.range(of: .day, in: .month, for: calendar.date(from: DateComponents(year: year, month: month))!),
              days.contains(day) else { return nil }
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }

    /// The pattern filled in with `date` (in `timeZone`): what a matching name looks like.
    public func example(_ date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        var bytes: [UInt8] = []
        for piece in pieces {
            switch piece {
            case .literal(let byte): bytes.append(byte)
            case .field(let field):
                let value = switch field {
                case .year: c.year!
                case .shortYear: c.year! % 100
                case .month: c.month!
                case .day: c.day!
                case .hour: c.hour!
                case .minute: c.minute!
                case .second: c.second!
                }
                let text = String(value)
                bytes += Array(String(repeating: "0", count: max(0, field.digits - text.count)).utf8) + Array(text.utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { text }
}
