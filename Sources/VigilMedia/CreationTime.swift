public import Foundation

/// The container's `creation_time` tag: when a camera started the recording.
///
/// FFmpeg's demuxers give it as ISO 8601 (`2023-06-01T08:00:00.000000Z`; some writers use a space for
/// the `T`, or leave out the zone, which is then UTC). A time before 1980 is an unset camera clock
/// (MP4 counts from 1904, many cameras from 1970) and counts as no time at all.
public enum CreationTime {
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= b.count else { return nil }
            var value = 0
            for byte in b[i..<(i + digits)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            i += digits
            return value
        }
        func skip(_ allowed: String) -> Bool {
            guard i < b.count, allowed.utf8.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2), skip("T "),
              let hour = number(2), skip(":"), let minute = number(2), skip(":"), let second = number(2) else { return nil }
        var fraction = 0.0
        if skip(".") {
            var scale = 0.1
            while i < b.count, b[i] >= 48, b[i] <= 57 { fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
        }
        var offset = 0
        if i < b.count {
            if skip("Zz") {
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let h = number(2) else { return nil }
                _ = skip(":")
                let m = number(2) ?? 0
                offset = sign * (h * 3600 + m * 60)
            } else {
                return nil
            }
        }
        guard i == b.count, year >= 1980, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
              second < 61 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour,
                                                            minute: minute, second: second)),
              calendar.component(.day, from: date) == day else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }

    /// ISO 8601 in UTC with milliseconds.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
