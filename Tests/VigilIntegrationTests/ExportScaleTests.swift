import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// 1,000,000 generated track points: exported in constant memory, and `kill -9` in the middle of an
/// export leaves nothing at the final path.
@Suite("Export at scale (CLI)", .serialized) struct ExportScaleTests {
    static let rowCount = 1_000_000

    static let database = Task<DatabaseURL, any Error> {
        let server = try TestPostgres.serverURL()
        let name = "vigil_export_scale_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        try await EmbeddedPostgres.createDatabase(name, on: server, logger: TestPostgres.logger, ifMissing: false)
        let url = server.with(database: name)
        let migrate = try await CLI.run(["db", "migrate"], environment: ["DATABASE_URL": url.uri])
        guard migrate.status == 0 else { throw ChildProcessError("migrate failed: \(migrate.stderr)") }
        try ExportFixture.psql(url, """
            INSERT INTO cameras (name) VALUES ('gate');
            INSERT INTO track_points (time, camera_id, run_id, frame_index, media_time, track_id, global_id, class_id, label,
                                      state, x, y, w, h, score, map_x, map_y)
            SELECT date_trunc('day', now()) + (i / 10) * interval '40 ms', 1, 1, i / 10, (i / 10) * 0.04, i % 10,
                   CASE WHEN i % 3 = 0 THEN NULL ELSE i % 10 END, 0, 'person', 'confirmed',
                   (i % 700) + 0.25, (i % 500) + 0.5, 40.125, 90.75, 0.875, CASE WHEN i % 2 = 0 THEN i * 0.001 END, NULL
            FROM generate_series(0, \(rowCount - 1)) i;
            ANALYZE track_points;
            """)
        return url
    }

    /// Max RSS in kB of `vigil args...` (GNU time), and its exit status.
    static func maxRSS(_ args: [String], url: DatabaseURL) async throws -> (kilobytes: Int, status: Int32, errors: String) {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = url.uri
        let result = await (try ChildProcess(["/usr/bin/time", "-f", "maxrss %M", CLI.binary.path] + args, environment: env))
            .exited(timeout: 600)
        let kilobytes = result.errors.split(separator: "\n").last { $0.hasPrefix("maxrss ") }.flatMap { Int($0.dropFirst(7)) }
        return (kilobytes ?? .max, result.status, result.errors)
    }

    /// The process itself (a debug build maps ~90 MB of code and libraries before doing anything) is
    /// measured apart: what the export of a million rows adds must stay below 100 MB, and must not
    /// differ much from what an export of no rows adds (constant memory, whatever the row count).
    @Test func aMillionRowsExportInUnder100MB() async throws {
        let url = try await Self.database.value
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = try await Self.maxRSS(["export", "--help"], url: url)
        let none = try await Self.maxRSS(["export", "tracks", "--quiet", "--to", "2000-01-01T00:00:00Z", "--out", dir + "/none.csv"], url: url)
        let million = try await Self.maxRSS(["export", "tracks", "--quiet", "--format", "csv", "--out", dir + "/points.csv"], url: url)
        #expect(none.status == 0 && million.status == 0, "\(none.errors) \(million.errors)")
        #expect(million.kilobytes - process.kilobytes < 100 * 1024,
                "max RSS \(million.kilobytes) kB exporting 1M rows, \(process.kilobytes) kB for the process alone")
        #expect(million.kilobytes - none.kilobytes < 16 * 1024,
                "max RSS \(million.kilobytes) kB exporting 1M rows, \(none.kilobytes) kB exporting none")
        // Header plus one line per row (no field holds a line break here).
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: dir + "/points.csv"))
        defer { try? handle.close() }
        var lines = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
        #expect(lines == Self.rowCount + 1)
    }

    @Test func killNineDuringAnExportLeavesNothingAtTheFinalPath() async throws {
        let url = try await Self.database.value
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/points.json"
        let running = try CLI.start(["export", "tracks", "--quiet", "--format", "json", "--out", target],
                                    environment: ["DATABASE_URL": url.uri])
        // Wait until the export is writing (its temporary file has data), then kill it.
        try await waitUntil("the export writes its temporary file", timeout: .seconds(120)) {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return files.contains { name in
                name.hasSuffix(".partial")
                    && ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.size] as? Int) ?? 0) > 1 << 20
            }
        }
        running.signal(SIGKILL)
        let result = await running.exited(timeout: 60)
        #expect(result.status != 0)
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
