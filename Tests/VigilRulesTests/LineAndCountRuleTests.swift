import Testing
import VigilCore
@testable import VigilRules

@Suite("Lines, crowds, absence")
struct LineAndCountRuleTests {
    /// A vertical line at x = 300 from y = 100 down to y = 300: walking right crosses from its right
    /// side to its left as seen on the image, which is `out`; walking left is `in`.
    let door = LineDefinition(id: "door", segment: Segment(Point(300, 100), Point(300, 300)), band: 5, minSideTime: 0.3)

    func rule(_ direction: String = "both") -> RuleDefinition {
        RuleDefinition(id: "count", kind: .lineCross(line: "door", direction: direction), severity: .info)
    }

    @Test func crossingInEachDirectionIsCountedOnceAtTheFirstFrameOnTheNewSide() throws {
        var scene = Scene(seconds: 6)
        scene.walk(1, during: 0...5.9) { t in (200 + 40 * t, 200) }          // x = 300 at 2.5 s; past the band at 2.7
        scene.walk(2, during: 0...5.9) { t in (400 - 40 * t, 250) }
        let events = try scene.run(AlertConfiguration(lines: [door], rules: [rule()])).filter { $0.phase == .start }
        #expect(events.count == 2)
        let right = try #require(events.first { $0.trackID == 1 }), left = try #require(events.first { $0.trackID == 2 })
        #expect(right.attributes["direction"] == "out" && left.attributes["direction"] == "in")
        #expect(abs(right.time.seconds - 2.7) < 1e-9 && abs(left.time.seconds - 2.7) < 1e-9)
        #expect(try scene.run(AlertConfiguration(lines: [door], rules: [rule("in")])).filter { $0.phase == .start }.map(\.trackID) == [2])
        #expect(try scene.run(AlertConfiguration(lines: [door], rules: [rule("out")])).filter { $0.phase == .start }.map(\.trackID) == [1])
    }

    @Test func jitterAcrossTheLineCountsNothingAndNeverTwice() throws {
        // Back and forth across the line every frame (±8 px, outside the 5 px band): never 0.3 s on a side.
        var flicker = Scene(seconds: 5)
        flicker.walk(1, during: 0...4.9) { t in (Int((t * 10).rounded()) % 2 == 0 ? 292 : 308, 200) }
        #expect(try flicker.run(AlertConfiguration(lines: [door], rules: [rule()])).isEmpty)
        // Inside the dead band: never on a side.
        var band = Scene(seconds: 5)
        band.walk(1, during: 0...4.9) { t in (297 + 6 * (t - t.rounded(.down)), 200) }
        #expect(try band.run(AlertConfiguration(lines: [door], rules: [rule()])).isEmpty)
        // A real crossing with a flicker back for 0.2 s: one count.
        var once = Scene(seconds: 6)
        once.walk(1, during: 0...5.9) { t in (t < 2 ? 250 : (t >= 3 && t < 3.25 ? 290 : 350), 200) }
        #expect(try once.run(AlertConfiguration(lines: [door], rules: [rule()])).filter { $0.phase == .start }.count == 1)
    }

    @Test func crossingsAreBoundedToTheSegmentUnlessExtended() throws {
        var scene = Scene(seconds: 6)
        scene.walk(1, during: 0...5.9) { t in (200 + 40 * t, 400) }        // passes below the segment's end (y 300)
        #expect(try scene.run(AlertConfiguration(lines: [door], rules: [rule()])).isEmpty)
        var extended = door
        extended.extended = true
        #expect(try scene.run(AlertConfiguration(lines: [extended], rules: [rule()])).filter { $0.phase == .start }.count == 1)
    }

    @Test func countsPerClassRideOnTheEvents() throws {
        var scene = Scene(seconds: 8)
        scene.walk(1, during: 0...7.9) { t in (200 + 40 * t, 200) }
        scene.walk(2, during: 0...7.9) { t in (180 + 40 * t, 220) }
        scene.walk(3, during: 0...7.9, label: "bicycle") { t in (160 + 40 * t, 240) }
        let starts = try scene.run(AlertConfiguration(lines: [door], rules: [rule()])).filter { $0.phase == .start }
        #expect(starts.map { $0.attributes["count_out"] } == ["1", "2", "1"])
        #expect(starts.map { $0.attributes["class"] } == ["person", "person", "bicycle"])
    }

    @Test func crowdStartsAtNAndClearsBelowNMinusHysteresis() throws {
        var scene = Scene(seconds: 12)
        // Three people inside from 1 s; the third leaves at 4 s (two stay: not below 3 - 1), the second at 7 s.
        scene.walk(1, during: 1...11.9) { _ in (150, 150) }
        scene.walk(2, during: 1...11.9) { t in (t < 7 ? 160 : 50, 150) }
        scene.walk(3, during: 1...11.9) { t in (t < 4 ? 170 : 50, 150) }
        let crowd = RuleDefinition(id: "crowd", kind: .crowd(zone: "square", count: 3, seconds: 1, hysteresis: 1, clearFor: 1))
        let events = try scene.run(AlertConfiguration(zones: [square], rules: [crowd]))
        // Members count after min_inside (1.3 s): 3 from 1.3, held 1 s -> 2.3; the second's exit confirms
        // at 7.5 (1 left), held 1 s -> 8.5.
        #expect(events.timeline == ["crowd:start@2.3", "crowd:end@8.5"])
        #expect(events.first?.value == 3 && events.last?.peakValue == 3)
    }

    @Test func absenceInsideAndOutsideItsSchedule() throws {
        // Media time 0 is 08:00:00 UTC; the zone must be staffed from 08:00:10 to 08:00:40.
        let origin = 1_767_225_600.0 + 8 * 3600   // 2026-01-01T08:00:00Z
        let schedule = DailySchedule(from: 8 * 3600 + 10, to: 8 * 3600 + 40)
        let absence = RuleDefinition(id: "unstaffed", kind: .absence(zone: "square", seconds: 5, schedule: schedule, clearFor: 0))
        var scene = Scene(seconds: 60, fps: 2)
        // Someone in the zone 20 s ... 30 s only.
        scene.walk(1, during: 20...30) { _ in (150, 150) }
        let events = try scene.run(AlertConfiguration(zones: [square], rules: [absence], timeOrigin: origin))
        // Empty from 10 s (the schedule opens) -> 15 s; the person appears at 20 (a member from 20.5, after
        // min_inside); gone from 30.5 -> 35.5; the schedule closes at 40.
        #expect(events.timeline == ["absence:start@15.0", "absence:end@20.5", "absence:start@35.5", "absence:end@40.0"])
        // A job's origin for the source (recorded footage) wins over the stage's own time_origin.
        var recorded = AlertConfiguration(zones: [square], rules: [absence], timeOrigin: origin - 3600)
        recorded.timeOrigins = [scene.source: origin]
        #expect(try scene.run(recorded).timeline == events.timeline)
        // Without a schedule, empty from the start.
        let always = RuleDefinition(id: "empty", kind: .absence(zone: "square", seconds: 5, schedule: nil, clearFor: 0))
        #expect(try scene.run(AlertConfiguration(zones: [square], rules: [always])).timeline.first == "absence:start@5.0")
    }

    @Test func schedulesMayWrapPastMidnight() {
        let night = DailySchedule(from: 22 * 3600, to: 6 * 3600)
        #expect(night.contains(unixSeconds: 23 * 3600))
        #expect(night.contains(unixSeconds: 86_400 + 5 * 3600))
        #expect(!night.contains(unixSeconds: 12 * 3600))
        let local = DailySchedule(from: 8 * 3600, to: 9 * 3600, utcOffset: 2 * 3600)
        #expect(local.contains(unixSeconds: 6.5 * 3600))
    }
}
