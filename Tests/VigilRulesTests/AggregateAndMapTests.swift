import Testing
import VigilCore
@testable import VigilRules

@Suite("Windows and map zones")
struct AggregateAndMapTests {
    static func frame(_ t: Double, source: String = "cam", tracks: [Int] = [1]) -> Message {
        .frame(AnnotatedFrame(info: FrameInfo(sourceID: source, index: Int(t * 10), time: MediaTime(seconds: t),
                                              sourceWidth: 100, sourceHeight: 100), image: nil,
                              tracks: tracks.map { TrackPoint(trackID: $0, box: BoundingBox(x: 0, y: 0, width: 5, height: 5),
                                                              score: 0.9, state: .confirmed) }))
    }

    @Test func eachWindowClosesOnceAfterTheWatermarkAndLateMessagesAreDropped() {
        var windows = WindowAggregator(source: "cam", seconds: 10, allowedLateness: 2)
        for t in stride(from: 0.0, to: 11.5, by: 0.5) {
            let added = windows.add(Self.frame(t, tracks: t < 5 ? [1, 2] : [3]))
            #expect(added)
        }
        // Watermark 11.5 - 2 = 9.5: the first window is still open.
        #expect(windows.close().isEmpty)
        let lateButAllowed = windows.add(Self.frame(9.0, tracks: [4]))   // within allowed_lateness: counted
        let next = windows.add(Self.frame(12.5))
        #expect(lateButAllowed && next)
        let rows = windows.close()
        #expect(rows.allSatisfy { $0.windowStart.seconds == 0 })
        #expect(rows.first { $0.name == "unique_tracks" }?.value == 4)
        #expect(rows.first { $0.name == "frames" }?.value == 21)
        #expect(windows.close().isEmpty, "a window is emitted once")
        let tooLate = windows.add(Self.frame(9.5))
        #expect(!tooLate, "its window has closed: late, dropped")
        let last = windows.close(flush: true)
        #expect(last.first { $0.name == "frames" }?.value == 4)   // 10.0, 10.5, 11.0 and 12.5
        #expect(last.first { $0.name == "frames" }?.windowStart.seconds == 10)
    }

    @Test func listedMeasurementsAreSummarisedPerWindowOverTheFramesThatCarriedThem() {
        var windows = WindowAggregator(source: "cam", seconds: 10, allowedLateness: 0, measurements: ["ear", "mar"])
        for (t, ear) in [(0.0, 0.30), (1.0, 0.10), (2.0, Double.nan), (3.0, 0.20)] {
            guard case .frame(var frame) = Self.frame(t) else { continue }
            frame.measurements["ear"] = ear
            let added = windows.add(.frame(frame))
            #expect(added)
        }
        let rows = windows.close(flush: true)
        func value(_ name: String, _ measurement: String) -> Double? {
            rows.first { $0.name == name && $0.dimensions["measurement"] == measurement }?.value
        }
        // The NaN frame is left out; mar was never measured: no rows for it.
        #expect(abs((value("measurement_mean", "ear") ?? 0) - 0.2) < 1e-12)
        #expect(value("measurement_min", "ear") == 0.10 && value("measurement_max", "ear") == 0.30 && value("measurement_last", "ear") == 0.20)
        #expect(!rows.contains { $0.dimensions["measurement"] == "mar" })
    }

    @Test func zonesInMapMetresUseTheTracksMapPosition() throws {
        let yard = ZoneDefinition(id: "yard", space: .map, polygon: Polygon([Point(0, 0), Point(10, 0), Point(10, 10), Point(0, 10)]))
        var scene = Scene(seconds: 4)
        scene.walk(1, during: 0...3.9) { _ in (5, 5) }   // in the image: nowhere near the zone's numbers
        for f in 0..<scene.frames {
            scene.objects[f] = scene.objects[f]?.map { var p = $0; let t = scene.time(f); p.mapX = t < 2 ? -3 : 4; p.mapY = 5; return p }
        }
        let events = try scene.run(AlertConfiguration(zones: [yard], rules: [RuleDefinition(id: "in", kind: .zoneEnter(zone: "yard"))]))
        #expect(events.timeline == ["zone_enter:start@2.0", "zone_enter:end@2.0"])
    }
}
