import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

@Suite("Partitions and retention") struct PartitionTests {
    @Test func createsPartitionsForTheDataDaysAndRetentionDropsOnlyOldOnes() async throws {
        // Three days of data, 12 hours apart: 2023-11-14 22:13 UTC .. 2023-11-16.
        let messages = GeneratedFrames.messages(frames: 5, tracksPerFrame: 2, fps: 1.0 / 43_200)
        try await TestPostgres.withFreshDatabase { url in
            try await runSink(messages, url: url)
            try await withDB(url) { db in
                let partitions = PartitionManager(database: db)
                let days = try await partitions.existingDays("track_points")
                for day in ["2023-11-14", "2023-11-15", "2023-11-16"] {
                    #expect(days.contains { $0.description == day }, "no partition for \(day)")
                }
                // Rows went into their day's partition, not elsewhere.
                #expect(try await db.count("track_points_p20231115") == 4)
                #expect(try await db.count("track_points") == 10)
                // Partitions were also created ahead of today.
                #expect(days.contains(UTCDay(Date()).adding(3)))
                // Retention: cut at 2023-11-16 00:00 drops the 14th and 15th, keeps the 16th and today's.
                let cutoff = UTCDay(compact: "20231116")!.start
                let dropped = try await partitions.dropOlder(than: cutoff)
                #expect(dropped.contains("track_points_p20231114") && dropped.contains("track_points_p20231115"))
                #expect(!dropped.contains { $0.hasSuffix("20231116") })
                #expect(try await db.count("track_points") == 4)
                let left = try await partitions.existingDays("track_points")
                #expect(left.contains(UTCDay(compact: "20231116")!) && left.contains(UTCDay(Date())))
                #expect(!left.contains(UTCDay(compact: "20231115")!))
            }
        }
    }

    @Test func rollupsCoverClosedWindowsOnly() async throws {
        let messages = GeneratedFrames.messages(frames: 240, tracksPerFrame: 3, fps: 1)   // 4 minutes
        try await TestPostgres.withFreshDatabase { url in
            try await runSink(messages, url: url)
            try await withDB(url) { db in
                // The sink refreshed at the end (its data is in the past): 4 closed minutes plus a partial 5th.
                #expect(try await db.scalarInt("SELECT sum(points)::int FROM track_rollups_minute") == 720)
                #expect(try await db.scalarInt("SELECT sum(points)::int FROM track_rollups_hour") == 720)
                #expect(try await db.scalarInt("SELECT sum(points)::int FROM track_rollups_day") == 720)
                // Tracks 1 and 3 are class 0, track 2 class 1.
                #expect(try await db.scalarInt("SELECT max(peak_tracks)::int FROM track_rollups_minute") == 2)
                // A refresh 'at' a time inside the data leaves the open windows alone.
                try await db.execute(sql: "TRUNCATE track_rollups_minute, track_rollups_hour, track_rollups_day", doing: "t")
                try await db.execute(sql: "INSERT INTO rollup_invalidations (low, high) SELECT min(time), max(time) FROM track_points", doing: "i")
                let at = Date(timeIntervalSince1970: 1_700_000_000 + 125)
                try await Rollups(database: db).refresh(now: at)
                #expect(try await db.count("track_rollups_minute", where: "bucket >= to_timestamp(1700000100)") == 0)
                #expect(try await db.count("track_rollups_minute") == 2 * 2)   // 22:13 and 22:14, two classes
                #expect(try await db.count("track_rollups_hour") == 0)
            }
        }
    }
}
