import Foundation
import Testing
import VigilCore
import VigilPipeline

@Suite("Recorded time from file names")
struct FileNameTimePatternTests {
    static let utc = TimeZone(identifier: "UTC")!
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func read(_ pattern: String, _ name: String, zone: TimeZone = utc) throws -> Date? {
        try FileNameTimePattern(pattern).date(inNameOf: name, timeZone: zone)
    }

    @Test func readsTheUsualDashcamName() throws {
        #expect(try read("%Y%m%d_%H%M%S", "20240101_103005.avi") == Self.date("2024-01-01T10:30:05Z"))
        #expect(try read("%Y%m%d_%H%M%S", "/footage/cam1/20240101_103005.avi") == Self.date("2024-01-01T10:30:05Z"))
    }

    @Test func matchesAnywhereInTheBaseNameOnly() throws {
        #expect(try read("%Y%m%d_%H%M%S", "REC_20240101_103005_F.MP4") == Self.date("2024-01-01T10:30:05Z"))
        // Folders are not searched: the name itself has no time.
        #expect(try read("%Y%m%d_%H%M%S", "/footage/20240101_103005/clip.mp4") == nil)
        // The leftmost place that reads a real date wins: "12024..." first fails (month 40), then matches one digit on.
        #expect(try read("%Y%m%d_%H%M%S", "x120240101_103005.mp4") == Self.date("2024-01-01T10:30:05Z"))
    }

    @Test func literalsSeparatorsAndPercent() throws {
        #expect(try read("%Y-%m-%d %H.%M.%S", "Cam 2024-03-10 21.59.58.mov") == Self.date("2024-03-10T21:59:58Z"))
        #expect(try read("100%%_%Y%m%d", "100%_20240310.mp4") == Self.date("2024-03-10T00:00:00Z"))
        #expect(try read("NORM%Y%m%d", "norm20240310.mp4") == nil)   // literals are case-sensitive
    }

    @Test func twoDigitYearsFollowPOSIX() throws {
        #expect(try read("%y%m%d-%H%M", "240101-1030.ts") == Self.date("2024-01-01T10:30:00Z"))
        #expect(try read("%y%m%d-%H%M", "991231-2359.ts") == Self.date("1999-12-31T23:59:00Z"))
    }

    @Test func timeZoneOfTheName() throws {
        let paris = TimeZone(identifier: "Europe/Paris")!
        #expect(try read("%Y%m%d_%H%M%S", "20240101_103005.avi", zone: paris) == Self.date("2024-01-01T09:30:05Z"))   // CET
        #expect(try read("%Y%m%d_%H%M%S", "20240701_103005.avi", zone: paris) == Self.date("2024-07-01T08:30:05Z"))   // CEST
    }

    @Test func onlyRealDatesAndTimes() throws {
        #expect(try read("%Y%m%d_%H%M%S", "20240229_235959.mp4") == Self.date("2024-02-29T23:59:59Z"))
        #expect(try read("%Y%m%d_%H%M%S", "20230229_100000.mp4") == nil)   // not a leap year
        #expect(try read("%Y%m%d_%H%M%S", "20241301_100000.mp4") == nil)
        #expect(try read("%Y%m%d_%H%M%S", "20240101_246000.mp4") == nil)
        #expect(try read("%Y%m%d_%H%M%S", "2024011_103005.mp4") == nil)    // a digit short
        #expect(try read("%Y%m%d_%H%M%S", "vtest.avi") == nil)
    }

    @Test(arguments: [
        ("%Y%m%d%Q", "unknown directive %Q; use %Y %y %m %d %H %M %S or %%"),
        ("%Y%m%d_%", "it ends with a lone '%' (write %% for a percent sign)"),
        ("%H%M%S", "it needs a year (%Y), a month (%m), a day (%d)"),
        ("%Y%m", "it needs a day (%d)"),
        ("%Y%m%d_%H%H", "%H appears twice"),
        ("%Y%y%m%d", "it has both %Y and %y"),
    ])
    func refusesBadPatterns(pattern: String, why: String) {
        #expect {
            _ = try FileNameTimePattern(pattern)
        } throws: { error in
            (error as? VigilError)?.message == "invalid time_from_name '\(pattern)': \(why)"
        }
    }

    @Test func showsWhatAMatchingNameLooksLike() throws {
        let pattern = try FileNameTimePattern("REC_%Y%m%d_%H%M%S")
        #expect(pattern.example(Self.date("2024-01-01T10:30:05Z"), timeZone: Self.utc) == "REC_20240101_103005")
        #expect(try FileNameTimePattern("%y-%m-%d").example(Self.date("2009-03-04T00:00:00Z"), timeZone: Self.utc) == "09-03-04")
    }

    @Test func originsPerInput() throws {
        let start = Self.date("2030-01-01T00:00:00Z")
        let inputs = ["a": "/x/20240101_103005.avi", "b": "/y/cam_20240102_000001.mp4"]
        let pattern = try FileNameTimePattern("%Y%m%d_%H%M%S")
        let origins = try JobTimeOrigin.fileName(pattern, Self.utc).origins(for: inputs, runStart: start) { _ in nil }
        #expect(origins == ["a": Self.date("2024-01-01T10:30:05Z"), "b": Self.date("2024-01-02T00:00:01Z")])
        #expect(try JobTimeOrigin.runStart.origins(for: inputs, runStart: start) { _ in nil } == ["a": start, "b": start])
        let declared = Self.date("2024-05-01T08:00:00Z")
        #expect(try JobTimeOrigin.declared(declared).origins(for: inputs, runStart: start) { _ in nil } == ["a": declared, "b": declared])
        #expect(try JobTimeOrigin.creationTime.origins(for: ["a": "x.mp4"], runStart: start) { _ in declared } == ["a": declared])
    }

    @Test func anInputWithoutATimeIsNamed() throws {
        let pattern = try FileNameTimePattern("%Y%m%d_%H%M%S")
        #expect {
            _ = try JobTimeOrigin.fileName(pattern, Self.utc).origins(for: ["a": "/x/20240101_103005.avi", "b": "/footage/vtest.avi"],
                                                                       runStart: Date()) { _ in nil }
        } throws: { error in
            "\(error)" == "the recorded time of an input is unknown: /footage/vtest.avi: the file name 'vtest.avi' does not match "
                + "time_from_name '%Y%m%d_%H%M%S' (a matching name contains, e.g., 20240101_103005)"
        }
        #expect {
            _ = try JobTimeOrigin.creationTime.origins(for: ["a": "a.mp4", "b": "b.mp4"], runStart: Date()) { _ in nil }
        } throws: { error in
            "\(error)".hasPrefix("the recorded time of 2 inputs is unknown:\n  a.mp4: no creation_time in its container")
        }
    }
}
