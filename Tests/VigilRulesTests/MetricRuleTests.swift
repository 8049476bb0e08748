import Testing
import VigilCore
@testable import VigilRules

@Suite("Metric rules")
struct MetricRuleTests {
    func metric(_ expression: String, for seconds: Double, clearFor: Double = 0) -> RuleDefinition {
        RuleDefinition(id: "drowsy", kind: .metric(expression: expression, seconds: seconds, clearFor: clearFor), severity: .critical)
    }

    @Test func aConditionHeldForTStartsAndEndsAfterClearFor() throws {
        var scene = Scene(seconds: 10)
        scene.measure("ear_baseline", during: 0...9.9) { _ in 0.28 }
        // Eyes closed 2.0 ... 4.9 s, one open frame at 3.0, closed again until 6.9.
        scene.measure("ear", during: 0...9.9) { t in (t >= 2 && t < 6.95 && abs(t - 3) > 0.01) ? 0.15 : 0.28 }
        let events = try scene.run(AlertConfiguration(rules: [metric("ear < 0.75 * ear_baseline", for: 1.5, clearFor: 0.5)]))
        // 2.0 ... 2.9 is too short (reset by the open frame at 3.0); held from 3.1, so the alert starts at 4.6,
        // the eyes open at 7.0 and stay open 0.5 s: it ends at 7.5.
        #expect(events.timeline == ["metric:start@4.6", "metric:end@7.5"])
        #expect(events[0].severity == .critical && events[0].value == 0.15)
        #expect(events[0].attributes["condition_since"] == "3.100")
        // A blink of two frames never starts one.
        var blinks = Scene(seconds: 10)
        blinks.measure("ear", during: 0...9.9) { t in Int((t * 10).rounded()) % 20 < 2 ? 0.1 : 0.3 }
        #expect(try blinks.run(AlertConfiguration(rules: [metric("ear < 0.2", for: 1.5)])).isEmpty)
    }

    @Test func booleansAbsAndMissingMeasurements() throws {
        var scene = Scene(seconds: 8)
        scene.measure("face_present", during: 0...7.9) { t in t >= 2 && t < 5 ? 0 : 1 }
        scene.measure("yaw", during: 0...7.9) { t in t >= 5.5 ? -40 : 5 }
        let away = try scene.run(AlertConfiguration(rules: [metric("face_present == false", for: 2)]))
        #expect(away.timeline == ["metric:start@4.0", "metric:end@5.0"])
        let turned = try scene.run(AlertConfiguration(rules: [metric("abs(yaw) > 30", for: 2)]))
        #expect(turned.timeline == ["metric:start@7.5", "metric:end@7.9"])
        // No measurement: the condition never holds.
        #expect(try scene.run(AlertConfiguration(rules: [metric("mar > 0.6", for: 0)])).isEmpty)
    }

    @Test func perclosOverAWindow() throws {
        var scene = Scene(seconds: 30)
        // Eyes closed 3 frames in 10 from 10 s on (30%); open before.
        scene.measure("ear", during: 0...29.9) { t in t >= 10 && Int((t * 10).rounded()) % 10 < 3 ? 0.1 : 0.3 }
        let events = try scene.run(AlertConfiguration(rules: [metric("ratio(ear < 0.2, 10s) > 0.15", for: 0)]))
        let start = try #require(events.first)
        // Over the last 10 s (100 frames), closed frames pass 15 at 10 s + 5 s of 30%.
        #expect(start.phase == .start)
        #expect(start.time.seconds > 14.5 && start.time.seconds < 15.5)
        #expect((start.value ?? 0) > 0.15)
        #expect(events.timeline.last == "metric:end@29.9")
    }

    @Test func expressionsParseOrSayWhereTheyDoNot() throws {
        for good in ["ear < 0.2", "ear<0.75*ear_baseline", "abs(yaw_relative) > 30", "face_present == false",
                     "ratio(ear < 0.2, 60s) > 0.15", "mean(mar, 2s) >= 0.5", "(a + b) / 2 != 1", "max(x, 500ms) <= -3"] {
            #expect(throws: Never.self) { try MetricExpression(parsing: good) }
        }
        for (bad, fragment) in [("ear 0.2", "expected a comparison"), ("ear < ", "expected a number"),
                                ("ratio(ear < 0.2, soon) > 1", "window length"), ("avg(ear, 2s) > 1", "unknown function 'avg'"),
                                ("ear < 0.2)", "unexpected ')'"), ("ear =< 1", "unknown comparison")] {
            #expect(throws: MetricExpression.ParseError.self) { try MetricExpression(parsing: bad) }
            do { _ = try MetricExpression(parsing: bad) } catch { #expect(error.description.contains(fragment), "\(bad): \(error)") }
        }
        #expect(try MetricExpression(parsing: "ear < 0.75 * ear_baseline").names == ["ear", "ear_baseline"])
    }

    @Test func listedMeasurementsAreTheAlertsValuesAtItsStartThroughItsEnd() throws {
        var scene = Scene(seconds: 6)
        scene.measure("ear", during: 0...5.9) { t in t >= 1 && t < 4 ? 0.12 + t / 100 : 0.3 }
        scene.measure("yaw", during: 0...5.9) { t in t * 2 }
        var configuration = AlertConfiguration(rules: [metric("ear < 0.2", for: 1)])
        configuration.measurements = ["ear", "yaw", "mar"]
        let events = try scene.run(configuration)
        #expect(events.timeline == ["metric:start@2.0", "metric:end@4.0"])
        // The frame at 2.0 s: ear 0.14, yaw 4; mar was never measured, so it is absent, not invented.
        for event in events {
            #expect(event.attributes["ear"] == AlertEngine.measurement(0.14) && event.attributes["yaw"] == AlertEngine.measurement(4))
            #expect(event.attributes["mar"] == nil)
        }
    }
}
