import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// `Pipelines/driver-monitoring.yaml` as shipped, through the CLI, into a real PostgreSQL.
@Suite("Driver monitoring (CLI)") struct DriverMonitoringCLITests {
    static let clip = CLI.packageRoot.appendingPathComponent("samples/carphone_pristine.mp4").path
    static let output = CLI.packageRoot.appendingPathComponent("out/driver-monitoring.jsonl").path

    static func alerts() throws -> [[String: Any]] {
        try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap {
            let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            return object?["kind"] as? String == "event" ? object : nil
        }
    }

    @Test func noAlertOnTheClipAndDrowsinessWhenTheEyesStayClosed() async throws {
        // The same clip with the blink at frame 93 held for 2 s: the eyes stay closed after calibration.
        let dir = try CLI.temporaryDirectory().path
        let drowsy = dir + "/drowsy.mp4"
        let made = await (try ChildProcess(["ffmpeg", "-v", "error", "-y", "-i", Self.clip, "-vf",
                                            "loop=loop=60:size=1:start=93,setpts=N/30/TB", "-c:v", "libx264",
                                            "-pix_fmt", "yuv420p", drowsy])).exited(timeout: 120)
        try #require(made.status == 0, "ffmpeg: \(made.errors)")
        try await TestPostgres.withFreshDatabase { url in
            let env = ["DATABASE_URL": url.uri, "DRIVER_ID": "driver-7"]
            let plain = try await CLI.run(["run", "Pipelines/driver-monitoring.yaml"], environment: env)
            #expect(plain.status == 0, "\(plain.stderr)")
            // Its blinks last 1-2 frames and the mouth opens wide only briefly: nothing to report.
            #expect(try Self.alerts().isEmpty)

            let run = try await CLI.run(["run", "Pipelines/driver-monitoring.yaml", "--input", "cabin=\(drowsy)"], environment: env)
            #expect(run.status == 0, "\(run.stderr)")
            let events = try Self.alerts()
            #expect(events.map { "\($0["rule"] ?? "")/\($0["phase"] ?? "")" } == ["drowsiness/start", "drowsiness/end"])
            let start = try #require(events.first)
            #expect(start["severity"] as? String == "critical")
            #expect((start["value"] as? Double ?? 1) < 0.21)
            #expect((start["attributes"] as? [String: Any])?["subject"] as? String == "driver-7")
            // Closed from the blink at 3.1 s; 1.5 s later the alert starts.
            let time = start["time"] as? Double ?? 0
            #expect(time > 4.4 && time < 4.8, "started at \(time)")
            let evidence = try #require((start["evidence"] as? [String])?.first)
            #expect(FileManager.default.fileExists(atPath: CLI.packageRoot.appendingPathComponent(evidence).path))

            let psql = { (sql: String) in try StoreResumeTests.psql(url, sql) }
            #expect(try psql("SELECT rule, phase, severity FROM events WHERE alert_id IS NOT NULL") == ["drowsiness|end|critical"])
            // Both runs watched driver-7 the same day: 4 s + 6 s monitored, one critical alert.
            let daily = try psql("SELECT subject, critical, round(monitored_seconds), risk_score > 0 FROM daily_statistics WHERE alerts > 0")
            #expect(daily == ["driver-7|1|10|t"], "\(daily)")
        }
    }
}
