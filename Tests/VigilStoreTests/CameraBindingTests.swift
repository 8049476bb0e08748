import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// A run whose sources are bound to cameras (a processing task over cameras made through the API) writes
/// its rows under those cameras and in their tenant; earlier runs are looked up within that tenant only.
@Suite("postgres sink: sources bound to cameras") struct CameraBindingTests {
    static func migrated(_ url: DatabaseURL) async throws {
        try await withDB(url) { db in
            _ = try await Migrator(database: db).migrate()
            try await db.execute("INSERT INTO tenants (id, name) VALUES (2, 'other')", binding: [], doing: "tenant")
            try await db.execute("INSERT INTO cameras (id, tenant_id, name, url) VALUES (40, 2, 'gate', 'rtsp://gate'), (41, 1, 'yard', NULL)",
                                 binding: [], doing: "cameras")
        }
    }

    @Test func rowsGoToTheBoundCameraAndItsTenant() async throws {
        let messages = GeneratedFrames.messages(sources: ["cam1"], frames: 50, tracksPerFrame: 2)
        try await TestPostgres.withFreshDatabase { url in
            try await Self.migrated(url)
            var context = sinkContext(sources: ["cam1"])
            context.runPolicy.cameras = ["cam1": 40]
            try await runSink(messages, url: url, context: context)
            try await withDB(url) { db in
                #expect(try await db.strings("SELECT DISTINCT camera_id::text FROM track_points") == ["40"])
                #expect(try await db.strings("SELECT tenant_id::text || ' ' || status FROM runs") == ["2 completed"])
                #expect(try await db.count("cameras", where: "name = 'cam1'") == 0, "no camera is made up for a bound source")
                // A rerun of the same inputs in tenant 2 replaces its own earlier run; tenant 1's runs are another matter.
                try await runSink(messages, url: url, context: context)
                #expect(try await db.count("runs") == 1)
                #expect(try await db.count("track_points") == 100)
                var unbound = sinkContext(sources: ["cam1"])
                unbound.runPolicy.cameras = [:]
                try await runSink(messages, url: url, context: unbound)
                #expect(try await db.strings("SELECT tenant_id::text FROM runs ORDER BY id") == ["2", "1"])
                #expect(try await db.count("track_points") == 200)
            }
        }
    }

    @Test func camerasOfSeveralTenantsOrAMissingCameraAreRefused() async throws {
        let messages = GeneratedFrames.messages(sources: ["cam1", "cam2"], frames: 5, tracksPerFrame: 1)
        try await TestPostgres.withFreshDatabase { url in
            try await Self.migrated(url)
            var mixed = sinkContext(sources: ["cam1", "cam2"])
            mixed.runPolicy.cameras = ["cam1": 40, "cam2": 41]
            await #expect(throws: VigilError.self) { try await runSink(messages, url: url, context: mixed) }
            var missing = sinkContext(sources: ["cam1", "cam2"])
            missing.runPolicy.cameras = ["cam1": 40, "cam2": 99]
            do {
                try await runSink(messages, url: url, context: missing)
                Issue.record("a run bound to a camera that does not exist was written")
            } catch let error as VigilError {
                #expect(error.message.contains("camera 99 does not exist"))
            }
            let written = try await withDB(url) { db in try await db.count("track_points") }
            #expect(written == 0)
        }
    }
}
