public import Foundation

/// A cron expression (`minute hour day-of-month month day-of-week`, as in Vixie cron: lists, ranges,
/// steps, month and weekday names, `7` for Sunday, the `@daily`-style macros) and its fire times in a
/// time zone. When both day fields are restricted a day matches either, as cron does. A wall-clock
/// time repeated by a daylight-saving change fires once; one skipped by it does not fire.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let expression: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public var description: String { expression }

    static let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
                         "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(_ expression: String) throws {
        let trimmed = expression.trimmingCharacters(in: .whitespaces)
        let text = Self.macros[trimmed.lowercased()] ?? trimmed
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw VigilError(.invalidArgument, "'\(expression)' is not a cron expression: expected 5 fields (minute hour "
                + "day-of-month month day-of-week, e.g. '0 2 * * *') or a macro (@hourly, @daily, @weekly, @monthly, @yearly), "
                + "got \(fields.count) field\(fields.count == 1 ? "" : "s")")
        }
        self.expression = trimmed
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
        days = try Self.field(fields[2], name: "day of month", range: 1...31, names: [])
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, firstName: 1)
        let weekdaySet = try Self.field(fields[4], name: "day of week", range: 0...7, names: Self.weekdayNames)
        weekdays = Set(weekdaySet.map { $0 == 7 ? 0 : $0 })
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
    }

    static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String], firstName: Int = 0) throws -> Set<Int> {
        func fail(_ why: String) -> VigilError {
            VigilError(.invalidArgument, "cron \(name) field '\(text)': \(why) (allowed: \(range.lowerBound)-\(range.upperBound)"
                + (names.isEmpty ? "" : " or \(names.first!)-\(names.last!)") + ", '*', lists a,b, ranges a-b, steps */n or a-b/n)")
        }
        func value(_ token: Substring) throws -> Int {
            if let number = Int(token) {
                guard range.contains(number) else { throw fail("\(number) is out of range") }
                return number
            }
            if let index = names.firstIndex(of: token.lowercased()) { return index + firstName }
            throw fail("'\(token)' is not a number" + (names.isEmpty ? "" : " or a name"))
        }
        var out = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw fail("an empty list item") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail("more than one '/'") }
            var step = 1
            if parts.count == 2 {
                guard let n = Int(parts[1]), n > 0 else { throw fail("the step '\(parts[1])' is not a positive number") }
                step = n
            }
            let bounds: ClosedRange<Int>
            if parts[0] == "*" {
                bounds = range
            } else {
                let ends = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                switch ends.count {
                case 1:
                    let start = try value(ends[0])
                    bounds = start...(parts.count == 2 ? range.upperBound : start)
                case 2:
                    let (low, high) = (try value(ends[0]), try value(ends[1]))
                    guard low <= high else { throw fail("the range \(low)-\(high) runs backwards") }
                    bounds = low...high
                default:
                    throw fail("more than one '-'")
                }
            }
            out.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return out
    }

    /// The first fire time strictly after `date`, or `nil` when none comes within eight years
    /// (`0 0 30 2 *`).
    public func nextFire(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let previous = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        var t = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let horizon = date.addingTimeInterval(8 * 366 * 86_400)
        while t < horizon {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: t)
            guard let year = c.year, let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute,
                  let weekday = c.weekday else { return nil }
            if !months.contains(month) {
                guard let next = calendar.date(from: DateComponents(year: month == 12 ? year + 1 : year,
                                                                    month: month == 12 ? 1 : month + 1, day: 1)) else { return nil }
                t = next
                continue
            }
            if !dayMatches(day: day, weekday: weekday - 1) {
                guard let next = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: t)) else { return nil }
                t = next
                continue
            }
            if !hours.contains(hour) {
                t = t.addingTimeInterval(Double(60 - minute) * 60)
                continue
            }
            if !minutes.contains(minute) {
                t = t.addingTimeInterval(60)
                continue
            }
            // The second pass through an hour repeated by a daylight-saving change is not a new time.
            if c.year == previous.year, c.month == previous.month, c.day == previous.day, c.hour == previous.hour,
               c.minute == previous.minute {
                t = t.addingTimeInterval(60)
                continue
            }
            return t
        }
        return nil
    }

    func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): days.contains(day) || weekdays.contains(weekday)
        case (true, false): days.contains(day)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }
}

/// What to do with a schedule's fire times that passed while no leader was running.
public enum MissedFires: String, Sendable, CaseIterable {
    /// Run only fire times at most the grace period old.
    case skip
    /// Run every missed fire time (up to 100), oldest first.
    case catchUp = "catch_up"
}
