import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// Recorded footage through the `postgres` sink: each source's rows get the time it was recorded (the run
/// policy's per-source origins), and a run whose input was cut short is recorded as `truncated`.
@Suite("postgres sink: recorded footage") struct SinkFootageTests {
    static let recorded = ISO8601DateFormatter().date(from: "2024-01-01T10:30:05Z")!

    @Test func eachSourceGetsItsOwnOriginAndAResumeKeepsIt() async throws {
        let sources = ["cam1", "cam2"]
        var context = sinkContext(sources: sources)
        context.runPolicy.timeOrigins = ["cam1": Self.recorded]    // cam2: the sink's time_origin (2023-11-14 22:13:20)
        let messages = GeneratedFrames.messages(sources: sources, frames: 100, tracksPerFrame: 2)
        try await TestPostgres.withFreshDatabase { url in
            try await runSink(Array(messages.prefix(100)), url: url, context: context)
            // Resumed with another origin for cam1: the run keeps the one it started with.
            var resumed = sinkContext(sources: sources, rerun: .resume)
            resumed.runPolicy.timeOrigins = ["cam1": Self.recorded.addingTimeInterval(86_400 * 365)]
            try await runSink(messages, url: url, context: resumed)
            try await withDB(url) { (db: Database) async throws in
                #expect(try await db.strings("""
                    SELECT c.name || ' ' || t.tableoid::regclass || ' ' || min(t.time AT TIME ZONE 'UTC') || ' ' || count(*)
                    FROM track_points t JOIN cameras c ON c.id = t.camera_id GROUP BY c.name, t.tableoid ORDER BY 1
                    """) == ["cam1 track_points_p20240101 2024-01-01 10:30:05 200", "cam2 track_points_p20231114 2023-11-14 22:13:20 200"])
                // Every row is its source's origin plus its media time.
                #expect(try await db.count("track_points t JOIN cameras c ON c.id = t.camera_id", where: """
                    c.name = 'cam1' AND abs(extract(epoch FROM t.time - '2024-01-01 10:30:05+00'::timestamptz) - t.media_time) < 1e-6
                    """) == 200)
                #expect(try await db.strings("""
                    SELECT status || ' ' || (time_origins ->> 'cam1')::timestamptz AT TIME ZONE 'UTC' || ' ' || (time_origins ? 'cam2')
                    FROM runs
                    """) == ["completed 2024-01-01 10:30:05 false"])
            }
        }
    }

    @Test func aTruncatedSourceMakesTheRunTruncatedWithItsRows() async throws {
        let context = sinkContext(sources: ["cam1"])
        let truncation = Truncation(source: "cam1", url: "/videos/cam1.mp4", frames: 57, declaredFrames: 100)
        context.progress.truncated(truncation)
        try await TestPostgres.withFreshDatabase { url in
            try await runSink(GeneratedFrames.messages(frames: 57, tracksPerFrame: 1), url: url, context: context)
            try await withDB(url) { (db: Database) async throws in
                #expect(try await db.strings("SELECT status || ' ' || frames || ' ' || error FROM runs")
                        == ["truncated 57 cam1: truncated after 57 frames (of 100 declared): /videos/cam1.mp4"])
                #expect(try await db.count("track_points") == 57)
            }
        }
    }

    @Test func aFailureUpstreamMakesTheRunFailedWithItsRows() async throws {
        let context = sinkContext(sources: ["cam1"])
        context.progress.componentFailed("cam1: the file is truncated after 57 frames", downstream: ["track", "db"])
        try await TestPostgres.withFreshDatabase { url in
            try await runSink(GeneratedFrames.messages(frames: 57, tracksPerFrame: 1), url: url, context: context)
            try await withDB(url) { (db: Database) async throws in
                #expect(try await db.strings("SELECT status || ' ' || error FROM runs") == ["failed cam1: the file is truncated after 57 frames"])
                #expect(try await db.count("track_points") == 57)
            }
        }
    }
}
