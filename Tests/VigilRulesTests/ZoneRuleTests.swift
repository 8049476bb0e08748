import Testing
import VigilCore
@testable import VigilRules

@Suite("Zones: enter, exit, dwell")
struct ZoneRuleTests {
    let enterExit = [RuleDefinition(id: "in", kind: .zoneEnter(zone: "square")),
                     RuleDefinition(id: "out", kind: .zoneExit(zone: "square"))]

    @Test func enteringAndLeavingAtTheFramesTheyHappened() throws {
        var scene = Scene(seconds: 6)
        // Outside until 1.0 s, inside from 1.0 s to 2.9 s, outside from 3.0 s.
        scene.walk(1, during: 0...5.9) { t in (t >= 1 && t < 3 ? 150 : 50, 150) }
        let events = try scene.run(AlertConfiguration(zones: [square], rules: enterExit))
        #expect(events.timeline == ["zone_enter:start@1.0", "zone_enter:end@1.0", "zone_exit:start@3.0", "zone_exit:end@3.0"])
        #expect(events[0].trackID == 1 && events[0].zone == "square" && events[0].alertID == events[1].alertID)
        #expect(events[0].message == "person #1 entered square on cam")
    }

    @Test func aOneFrameJumpIntoTheZoneEntersNothing() throws {
        var scene = Scene(seconds: 4)
        scene.walk(1, during: 0...3.9) { t in (abs(t - 2) < 0.01 ? 150 : 50, 150) }
        #expect(try scene.run(AlertConfiguration(zones: [square], rules: enterExit)).isEmpty)
        // Two frames 0.1 s apart are still shorter than min_inside (0.3 s).
        var twice = Scene(seconds: 4)
        twice.walk(1, during: 0...3.9) { t in (t >= 2 && t < 2.15 ? 150 : 50, 150) }
        #expect(try twice.run(AlertConfiguration(zones: [square], rules: enterExit)).isEmpty)
    }

    @Test func theAnchorDecidesWhatIsInside() throws {
        var scene = Scene(seconds: 3)
        // Foot point below the zone, box centre (20 px higher) inside it.
        scene.walk(1, during: 0...2.9) { _ in (150, 215) }
        #expect(try scene.run(AlertConfiguration(zones: [square], rules: enterExit)).isEmpty)
        let centre = RuleDefinition(id: "in", kind: .zoneEnter(zone: "square"), anchor: .center)
        #expect(try scene.run(AlertConfiguration(zones: [square], rules: [centre])).timeline.first == "zone_enter:start@0.0")
    }

    @Test func onlyConfirmedTracksOfTheRulesClassesCount() throws {
        var scene = Scene(seconds: 3)
        scene.walk(1, during: 0...2.9, label: "car") { _ in (150, 150) }
        scene.walk(2, during: 0...2.9) { _ in (150, 150) }
        for f in 0..<scene.frames { scene.objects[f] = scene.objects[f]?.map { var p = $0; if p.trackID == 2 { p.state = .tentative }; return p } }
        let people = RuleDefinition(id: "in", kind: .zoneEnter(zone: "square"), classes: ["person"])
        #expect(try scene.run(AlertConfiguration(zones: [square], rules: [people])).isEmpty)
    }

    @Test func aTrackIdReusedAfterRemovalIsANewObject() throws {
        var scene = Scene(seconds: 10)
        scene.walk(7, during: 0...2.0) { _ in (150, 150) }
        // Gone for 3 s (longer than forget_after, 2 s), then the same id on a new object, born again.
        scene.walk(7, during: 5...9.9) { _ in (150, 150) }
        let events = try scene.run(AlertConfiguration(zones: [square], rules: enterExit))
        #expect(events.timeline == ["zone_enter:start@0.0", "zone_enter:end@0.0", "zone_exit:start@2.0", "zone_exit:end@2.0",
                                    "zone_enter:start@5.0", "zone_enter:end@5.0", "zone_exit:start@9.9", "zone_exit:end@9.9"])
        #expect(Set(events.compactMap(\.alertID)).count == 4)
        // An id whose age goes back without a gap is a new object too.
        var reborn = Scene(seconds: 4)
        reborn.walk(3, during: 0...1.9) { _ in (150, 150) }
        reborn.walk(3, during: 2...3.9, bornAt: 2) { _ in (150, 150) }
        #expect(try reborn.run(AlertConfiguration(zones: [square], rules: [enterExit[0]])).timeline
                == ["zone_enter:start@0.0", "zone_enter:end@0.0", "zone_enter:start@2.0", "zone_enter:end@2.0"])
    }

    @Test func cooldownSuppressesRepeatsForTheSameTrack() throws {
        var scene = Scene(seconds: 12)
        // In and out every 2 s: enters at 0, 2, 4, 6, 8, 10.
        scene.walk(1, during: 0...11.9) { t in (Int(t) % 2 == 0 ? 150 : 50, 150) }
        let rule = RuleDefinition(id: "in", kind: .zoneEnter(zone: "square"), cooldown: 3)
        let starts = try scene.run(AlertConfiguration(zones: [square], rules: [rule])).filter { $0.phase == .start }
        // 0 (ends at 0), 2 suppressed (2 < 0 + 3), 4 ok, 6 suppressed, 8 ok, 10 suppressed.
        #expect(starts.map(\.time.seconds) == [0, 4, 8])
        let perRule = RuleDefinition(id: "in", kind: .zoneEnter(zone: "square"), ruleCooldown: 5)
        #expect(try scene.run(AlertConfiguration(zones: [square], rules: [perRule])).filter { $0.phase == .start }
            .map(\.time.seconds) == [0, 6])
    }

    @Test func dwellJustUnderAndJustOverTheThreshold() throws {
        let rule = RuleDefinition(id: "loiter", kind: .dwell(zone: "square", seconds: 5, maxGap: 1), updateEvery: 1)
        var under = Scene(seconds: 10)
        under.walk(1, during: 0...9.9) { t in (t >= 1 && t < 5.95 ? 150 : 50, 150) }   // inside 1.0 ... 5.9: 4.9 s
        #expect(try under.run(AlertConfiguration(zones: [square], rules: [rule])).isEmpty)

        var over = Scene(seconds: 10)
        over.walk(1, during: 0...9.9) { t in (t >= 1 && t < 6.55 ? 150 : 50, 150) }    // inside 1.0 ... 6.5
        let events = try over.run(AlertConfiguration(zones: [square], rules: [rule]))
        // Starts when the dwell reaches 5 s (6.0) and ends with the last frame inside, once the gap has
        // passed max_gap (6.5 + 1 s); no update: it lasted less than update_every.
        #expect(events.timeline == ["dwell:start@6.0", "dwell:end@6.5"])
        let end = try #require(events.last)
        #expect(abs((end.duration ?? 0) - 0.5) < 1e-9)
        #expect(abs((end.value ?? 0) - 5.5) < 1e-9)
        #expect(end.alertID == events.first?.alertID)
    }

    @Test func dwellUpdatesAreRateLimited() throws {
        let rule = RuleDefinition(id: "loiter", kind: .dwell(zone: "square", seconds: 2, maxGap: 1), updateEvery: 1.5)
        var scene = Scene(seconds: 8)
        scene.walk(1, during: 0...7.9) { t in (t < 6.05 ? 150 : 50, 150) }
        let events = try scene.run(AlertConfiguration(zones: [square], rules: [rule]))
        #expect(events.timeline == ["dwell:start@2.0", "dwell:update@3.5", "dwell:update@5.0", "dwell:end@6.0"])
        #expect(events.map { $0.value ?? -1 } == [2.0, 3.5, 5.0, 6.0])
        #expect(events.last?.peakValue == 6.0)
    }

    @Test func dwellToleratesGapsUpToMaxGap() throws {
        let rule = RuleDefinition(id: "loiter", kind: .dwell(zone: "square", seconds: 3, maxGap: 1))
        var scene = Scene(seconds: 8)
        // Inside 0 ... 6.9, except out of the zone for 0.6 s (1.5 ... 2.0): one visit, one alert.
        scene.walk(1, during: 0...7.9) { t in ((t >= 1.5 && t < 2.05) || t >= 7 ? 50 : 150, 150) }
        let events = try scene.run(AlertConfiguration(zones: [square], rules: [rule]))
        #expect(events.timeline == ["dwell:start@3.0", "dwell:end@6.9"])
    }
}
