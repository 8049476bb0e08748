import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

@Suite("postgres sink") struct SinkTests {
    /// Every column of every track point, as text rendered by PostgreSQL, in a stable order.
    static func dump(_ db: Database, run: String = "true") async throws -> [String] {
        try await db.strings("""
            SELECT concat_ws('|', time AT TIME ZONE 'UTC', camera_id, frame_index, media_time, track_id,
                coalesce(global_id::text, 'NULL'), class_id, label, state, x, y, w, h, score,
                coalesce(map_x::text, 'NULL'), coalesce(map_y::text, 'NULL'))
            FROM track_points WHERE \(run) ORDER BY camera_id, frame_index, track_id
            """)
    }

    @Test func copiesHundredThousandTrackPointsExactly() async throws {
        let messages = GeneratedFrames.messages(sources: ["cam1", "cam2"], frames: 5000, tracksPerFrame: 10)
        try await TestPostgres.withFreshDatabase { url in
            try await runSink(messages, url: url, context: sinkContext(sources: ["cam1", "cam2"]))
            try await withDB(url) { db in
                #expect(try await db.count("track_points") == 100_000)
                // Exact values: compare every row against what was sent, through float8 text and back.
                let rows = try await db.strings("""
                    SELECT concat_ws('|', c.name, frame_index, track_id, coalesce(global_id::text, 'NULL'), class_id, label,
                        x, y, w, h, score, coalesce(map_x::text, 'NULL'), coalesce(map_y::text, 'NULL'), media_time,
                        extract(epoch FROM time)::numeric(20,6))
                    FROM track_points t JOIN cameras c ON c.id = t.camera_id ORDER BY c.name, frame_index, track_id
                    """)
                var expected: [String] = []
                for case .frame(let f) in messages {
                    for p in f.tracks {
                        let epoch = 1_700_000_000 + f.info.time.seconds
                        expected.append([f.info.sourceID, "\(f.info.index)", "\(p.trackID)", p.globalID.map(String.init) ?? "NULL",
                                         "\(p.classID)", p.label, Self.pg(p.box.x), Self.pg(p.box.y), Self.pg(p.box.width),
                                         Self.pg(p.box.height), Self.pg(p.score), p.mapX.map(Self.pg) ?? "NULL",
                                         p.mapY.map(Self.pg) ?? "NULL", Self.pg(f.info.time.seconds),
                                         String(format: "%.6f", epoch)].joined(separator: "|"))
                    }
                }
                expected.sort { a, b in
                    let x = a.split(separator: "|"), y = b.split(separator: "|")
                    return (x[0], Int(x[1])!, Int(x[2])!) < (y[0], Int(y[1])!, Int(y[2])!)
                }
                #expect(rows.count == expected.count)
                let mismatches = zip(rows, expected).filter { $0 != $1 }
                #expect(mismatches.isEmpty, "first mismatch: \(mismatches.first.map { "\($0.0) != \($0.1)" } ?? "")")
                // NULLs really are NULL, and timestamps are timestamptz in UTC.
                #expect(try await db.count("track_points", where: "global_id IS NULL") == 2 * 5000 * 4)
                #expect(try await db.count("track_points", where: "map_x IS NULL AND map_y IS NULL") == 2 * 5000 * 3)
                #expect(try await db.strings("SELECT min(time)::text FROM track_points") == ["2023-11-14 22:13:20+00"])
                // The run is recorded, with the frames it saw and one checkpoint per source.
                #expect(try await db.strings("SELECT status || ' ' || frames FROM runs") == ["completed 10000"])
                #expect(try await db.count("checkpoints") == 2)
                #expect(try await db.count("tracks") == 20)
                #expect(try await db.scalarInt("SELECT sum(points)::int FROM tracks") == 100_000)
                #expect(try await db.count("identities") > 0)
            }
        }
    }

    /// PostgreSQL's float8 output (shortest exact digits) for a Double.
    static func pg(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        var s = "\(v)"
        if let e = s.firstIndex(of: "e") {   // Swift 1e-05 -> PostgreSQL 1e-05 already; keep
            _ = e
        }
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    @Test func rerunReplacesInsteadOfDuplicating() async throws {
        let messages = GeneratedFrames.messages(frames: 300, tracksPerFrame: 4)
        try await TestPostgres.withFreshDatabase { url in
            try await runSink(messages, url: url, batchRows: 500)
            try await runSink(messages, url: url, batchRows: 500)
            try await withDB(url) { (db: Database) async throws in
                #expect(try await db.count("track_points") == 1200)
                #expect(try await db.count("runs") == 1)
                #expect(try await db.count("tracks") == 4)
            }
            // append keeps both runs
            try await runSink(messages, url: url, context: sinkContext(rerun: .append), batchRows: 500)
            try await withDB(url) { (db: Database) async throws in
                #expect(try await db.count("track_points") == 2400)
                #expect(try await db.count("runs") == 2)
            }
        }
    }

    @Test func resumeSkipsWhatWasCommitted() async throws {
        let messages = GeneratedFrames.messages(frames: 400, tracksPerFrame: 5)
        try await TestPostgres.withFreshDatabase { url in
            // A first run whose upstream fails at message 230: what arrived before it is committed.
            struct Crash: Error {}
            await #expect(throws: Crash.self) {
                try await runSink(messages, url: url, batchRows: 250) { i in if i == 230 { throw Crash() } }
            }
            let partial = try await withDB(url) { db in try await db.count("track_points") }
            #expect(partial == 230 * 5)
            try await runSink(messages, url: url, context: sinkContext(rerun: .resume), batchRows: 250)
            try await TestPostgres.withFreshDatabase { reference in
                try await runSink(messages, url: reference, batchRows: 250)
                let expected = try await withDB(reference) { try await SinkTests.dump($0) }
                let got = try await withDB(url) { try await SinkTests.dump($0) }
                #expect(got.count == 2000)
                #expect(got == expected)
            }
            try await withDB(url) { (db: Database) async throws in
                #expect(try await db.strings("SELECT status FROM runs") == ["completed"])
                #expect(try await db.scalarInt("SELECT sum(points)::int FROM tracks") == 2000)
            }
        }
    }
}
