public import struct Foundation.Date

/// A calendar day in UTC, counted from 1970-01-01: the unit of time partitions.
public struct UTCDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var daysSinceEpoch: Int

    public init(daysSinceEpoch: Int) { self.daysSinceEpoch = daysSinceEpoch }

    public init(_ date: Date) {
        self.daysSinceEpoch = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// From a Unix time in microseconds.
    public init(microseconds: Int64) {
        let day: Int64 = 86_400_000_000
        self.daysSinceEpoch = Int(microseconds >= 0 ? microseconds / day : (microseconds - day + 1) / day)
    }

    public static func < (a: UTCDay, b: UTCDay) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
    public func adding(_ days: Int) -> UTCDay { UTCDay(daysSinceEpoch: daysSinceEpoch + days) }
    public var start: Date { Date(timeIntervalSince1970: Double(daysSinceEpoch) * 86_400) }

    /// Year, month, day (proleptic Gregorian), Howard Hinnant's civil_from_days.
    public var civil: (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// `YYYYMMDD`, used in partition names.
    public var compact: String {
        let (y, m, d) = civil
        return String(y) + (m < 10 ? "0" : "") + String(m) + (d < 10 ? "0" : "") + String(d)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = civil
        return String(y) + "-" + (m < 10 ? "0" : "") + String(m) + "-" + (d < 10 ? "0" : "") + String(d)
    }

    /// Parses `YYYYMMDD`.
    public init?(compact text: some StringProtocol) {
        guard text.count == 8, let y = Int(text.prefix(4)), let m = Int(text.dropFirst(4).prefix(2)),
              let d = Int(text.suffix(2)), (1...12).contains(m), (1...31).contains(d) else { return nil }
        // days_from_civil
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        self.daysSinceEpoch = era * 146_097 + doe - 719_468
    }
}
