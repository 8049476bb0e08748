import Testing
import VigilCore
import VigilStore
import VigilTesting

@Suite("Migrations") struct MigrationTests {
    @Test func migratesEmptyDatabaseThenIsNoOp() async throws {
        try await TestPostgres.withFreshDatabase { url in
            try await withDB(url) { db in
                let migrator = Migrator(database: db)
                #expect(try await migrator.status().currentVersion == 0)
                let first = try await migrator.migrate()
                #expect(first == Migration.all.map(\.version))
                let second = try await migrator.migrate()
                #expect(second.isEmpty)
                let status = try await migrator.status()
                #expect(status.currentVersion == Migration.latestVersion)
                #expect(status.applied.count == Migration.all.count)
                let tables = try await db.tableNames()
                for table in ["tenants", "environments", "cameras", "runs", "detections", "track_points", "tracks",
                              "identities", "events", "aggregates", "checkpoints", "schema_migrations",
                              "track_rollups_minute", "track_rollups_hour", "track_rollups_day"] {
                    #expect(tables.contains(table), "missing table \(table)")
                }
            }
        }
    }

    @Test func refusesNewerSchemaAndWritesNothing() async throws {
        try await TestPostgres.withFreshDatabase { url in
            try await withDB(url) { db in
                try await Migrator(database: db).migrate()
                let future = Migration(version: Migration.latestVersion + 1, name: "future", sql: "CREATE TABLE future_thing (id int)")
                try await Migrator(database: db, migrations: Migration.all + [future]).migrate()
                let before = try await db.tableNames()
                let error = await #expect(throws: VigilError.self) { try await Migrator(database: db).migrate() }
                #expect(error?.message.contains("version \(Migration.latestVersion + 1)") == true)
                #expect(error?.message.contains("upgrade Vigil") == true)
                #expect(try await db.tableNames() == before)
                // The sink's preflight refuses it too, before any run row is written.
                let sinkError = await #expect(throws: VigilError.self) { try await runSink([], url: url) }
                #expect(sinkError?.message.contains("newer") == true || sinkError?.message.contains("knows only") == true)
                #expect(try await db.count("runs") == 0)
            }
        }
    }
}
