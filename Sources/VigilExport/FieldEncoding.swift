public import VigilStore
import VigilCore
import Foundation

/// How values are spelled in every tabular export: times as ISO 8601 UTC with milliseconds
/// (`2024-01-01T00:00:00.040Z`), numbers in their shortest form that reads back to the same value.
enum FieldEncoding {
    /// Appends `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, milliseconds truncated).
    static func appendTime(_ date: Date, to out: inout [UInt8]) {
        let ms = SQLValue.unixMilliseconds(date)
        let (daysRaw, msOfDay) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        var days = daysRaw, dayMs = msOfDay
        if dayMs < 0 { dayMs += 86_400_000; days -= 1 }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        digits(year, 4, &out); out.append(0x2D); digits(month, 2, &out); out.append(0x2D); digits(day, 2, &out)
        out.append(0x54)
        digits(dayMs / 3_600_000, 2, &out); out.append(0x3A)
        digits(dayMs / 60_000 % 60, 2, &out); out.append(0x3A)
        digits(dayMs / 1000 % 60, 2, &out); out.append(0x2E)
        digits(dayMs % 1000, 3, &out); out.append(0x5A)
    }

    private static func digits(_ value: Int64, _ width: Int, _ out: inout [UInt8]) {
        var v = value
        if v < 0 { out.append(0x2D); v = -v }
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { b in
            repeat { b[n] = UInt8(48 + v % 10); v /= 10; n += 1 } while v > 0 && n < 8
            for _ in n..<max(n, width) { out.append(48) }
            while n > 0 { n -= 1; out.append(b[n]) }
        }
    }

    static func appendInt(_ value: Int, to out: inout [UInt8]) {
        if value >= 0 && value < 10 { out.append(UInt8(48 + value)); return }
        out.append(contentsOf: String(value).utf8)
    }

    /// The shortest decimal that reads back to `value`; NaN and infinities as PostgreSQL spells them
    /// (`NaN`, `Infinity`, `-Infinity`) for CSV, `null` for JSON.
    static func appendDouble(_ value: Double, json: Bool, to out: inout [UInt8]) {
        if value.isFinite {
            if value == value.rounded(.towardZero), abs(value) < 1e15 {
                appendInt(Int(value), to: &out)   // integral: no ".0"
                if value == 0, value.sign == .minus { out.insert(0x2D, at: out.count - 1) }
            } else {
                out.append(contentsOf: value.description.utf8)
            }
        } else if json {
            out.append(contentsOf: "null".utf8)
        } else {
            out.append(contentsOf: (value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity").utf8)
        }
    }

    static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        var text = ""
        JSONString.append(s, to: &text)
        out.append(contentsOf: text.utf8)
    }
}
