import Foundation
import Testing
import VigilCore

/// Cron parsing and fire times (pure logic), against times worked out by hand.
@Suite struct CronScheduleTests {
    let utc = TimeZone(identifier: "UTC")!
    let paris = TimeZone(identifier: "Europe/Paris")!

    func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test func dailyAtTwoInUTC() throws {
        let cron = try CronSchedule("0 2 * * *")
        #expect(cron.nextFire(after: date("2024-01-01T01:59:59Z"), in: utc) == date("2024-01-01T02:00:00Z"))
        #expect(cron.nextFire(after: date("2024-01-01T02:00:00Z"), in: utc) == date("2024-01-02T02:00:00Z"))
    }

    @Test func stepsListsRangesAndNames() throws {
        let cron = try CronSchedule("*/20 9-17 * jan,mar mon-fri")
        // 2024-01-05 is a Friday; the next fire after 17:40 is Monday 2024-01-08 09:00.
        #expect(cron.nextFire(after: date("2024-01-05T17:40:00Z"), in: utc) == date("2024-01-08T09:00:00Z"))
        #expect(cron.nextFire(after: date("2024-01-08T09:00:00Z"), in: utc) == date("2024-01-08T09:20:00Z"))
        // February is skipped entirely.
        #expect(cron.nextFire(after: date("2024-01-31T17:40:00Z"), in: utc) == date("2024-03-01T09:00:00Z"))
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothAreRestricted() throws {
        let cron = try CronSchedule("0 0 13 * 5")   // the 13th, or any Friday
        #expect(cron.nextFire(after: date("2024-09-10T00:00:00Z"), in: utc) == date("2024-09-13T00:00:00Z"))  // Friday the 13th
        #expect(cron.nextFire(after: date("2024-09-13T00:00:00Z"), in: utc) == date("2024-09-20T00:00:00Z"))  // next Friday
        #expect(cron.nextFire(after: date("2024-10-05T00:00:00Z"), in: utc) == date("2024-10-11T00:00:00Z"))
        #expect(cron.nextFire(after: date("2024-10-11T00:00:00Z"), in: utc) == date("2024-10-13T00:00:00Z"))  // a Sunday, the 13th
    }

    @Test func sundayIsZeroAndSeven() throws {
        let zero = try CronSchedule("30 6 * * 0"), seven = try CronSchedule("30 6 * * 7")
        let after = date("2024-06-03T00:00:00Z")  // a Monday
        #expect(zero.nextFire(after: after, in: utc) == date("2024-06-09T06:30:00Z"))
        #expect(seven.nextFire(after: after, in: utc) == zero.nextFire(after: after, in: utc))
    }

    @Test func macros() throws {
        #expect(try CronSchedule("@daily").nextFire(after: date("2024-02-28T12:00:00Z"), in: utc) == date("2024-02-29T00:00:00Z"))
        #expect(try CronSchedule("@hourly").nextFire(after: date("2024-02-28T12:00:00Z"), in: utc) == date("2024-02-28T13:00:00Z"))
        #expect(try CronSchedule("@yearly").nextFire(after: date("2024-02-28T12:00:00Z"), in: utc) == date("2025-01-01T00:00:00Z"))
    }

    @Test func leapDayAndImpossibleDates() throws {
        #expect(try CronSchedule("0 0 29 2 *").nextFire(after: date("2024-03-01T00:00:00Z"), in: utc) == date("2028-02-29T00:00:00Z"))
        #expect(try CronSchedule("0 0 30 2 *").nextFire(after: date("2024-03-01T00:00:00Z"), in: utc) == nil)
    }

    @Test func timeZoneAndDaylightSaving() throws {
        let cron = try CronSchedule("30 2 * * *")
        // Paris in winter is UTC+1.
        #expect(cron.nextFire(after: date("2024-01-10T00:00:00Z"), in: paris) == date("2024-01-10T01:30:00Z"))
        // 2024-03-31: 02:00 -> 03:00 in Paris, 02:30 does not exist that day: the next fire is the 1st of April.
        #expect(cron.nextFire(after: date("2024-03-30T02:00:00Z"), in: paris) == date("2024-04-01T00:30:00Z"))
        // 2024-10-27: 03:00 -> 02:00, 02:30 happens twice; it fires once (the first), then the next day.
        let first = try #require(cron.nextFire(after: date("2024-10-26T23:00:00Z"), in: paris))
        #expect(first == date("2024-10-27T00:30:00Z"))
        #expect(cron.nextFire(after: first, in: paris) == date("2024-10-28T01:30:00Z"))
    }

    @Test func errorsSayWhatIsExpected() {
        for bad in ["0 2 * *", "61 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *",
                    "5-1 * * * *", "a * * * *", "1,,2 * * * *", "* * * foo *"] {
            #expect(throws: VigilError.self, "\(bad)") { try CronSchedule(bad) }
        }
        do {
            _ = try CronSchedule("61 * * * *")
        } catch let error as VigilError {
            #expect(error.message.contains("minute"))
            #expect(error.message.contains("0-59"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
