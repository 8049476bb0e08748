import Foundation
import Testing
import VigilServer

/// Keyset pages with an opaque cursor: every row exactly once while rows are being inserted between page
/// fetches (newest-first lists do not show the newer rows; oldest-first lists show them once, at the end),
/// rows with equal times split across pages by id, and malformed cursors or limits are a 400.
@Suite("Operations API: keyset pagination") struct KeysetPaginationTests {
    /// Follows `next_cursor` from `path` until the last page; `between` runs after each page.
    static func pages(_ server: TestServer, _ path: String, key: String, token: String, between: (Int) async throws -> Void) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        var cursor: String?
        var page = 0
        repeat {
            let separator = path.contains("?") ? "&" : "?"
            let reply = try await server.get(path + (cursor.map { "\(separator)cursor=\($0)" } ?? ""), token: token)
            try #require(reply.status == 200, "\(reply.body)")
            rows += reply.items(key)
            cursor = reply["next_cursor"] as? String
            page += 1
            try await between(page)
        } while cursor != nil
        return rows
    }

    @Test func newestFirstEventsComeExactlyOnceWhileNewerEventsArrive() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["door", "dock"])
            let rows = try await ResultRows(server)
            let run = try await rows.run()
            var expected: Set<Int> = []
            // 45 events over 15 seconds: three share each time, so pages cut through equal times.
            for i in 0..<45 { expected.insert(try await rows.event(camera: site.cameras[i % 2], run: run, at: 100 + i / 3)) }
            var inserted = 0
            let seen = try await Self.pages(server, "/api/v1/events?limit=7", key: "events", token: admin.token) { page in
                // Newer events (and one at the newest time already read) arrive between pages.
                for j in 0..<3 { _ = try await rows.event(camera: site.cameras[0], run: run, at: j == 0 ? 114 : 200 + page * 3 + j); inserted += 1 }
            }
            let ids = seen.compactMap { $0["id"] as? Int }
            #expect(ids.count == expected.count, "no row twice")
            #expect(Set(ids) == expected, "every row of the first page's moment, once")
            #expect(inserted > 0)
            // Newest first: times never increase along the pages.
            let times = seen.compactMap { $0["time"] as? String }
            #expect(times == times.sorted(by: >))
        }
    }

    @Test func oldestFirstTrackPointsComeExactlyOnceIncludingTheOnesAddedMeanwhile() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["door", "dock"])
            let rows = try await ResultRows(server)
            let run = try await rows.run()
            // Two cameras, two tracks each, 10 points a track at the same seconds.
            for (i, camera) in site.cameras.enumerated() {
                try await rows.track(camera: camera, run: run, track: 1 + i * 2, from: 0, to: 9)
                try await rows.track(camera: camera, run: run, track: 2 + i * 2, from: 0, to: 9)
            }
            var added = 0
            let seen = try await Self.pages(server, "/api/v1/track-points?limit=9", key: "points", token: admin.token) { page in
                if page <= 3 { try await rows.track(camera: site.cameras[0], run: run, track: 100 + page, from: 20 + page, to: 20 + page); added += 1 }
            }
            let keys = seen.map { "\($0["time"] ?? "")|\($0["camera_id"] ?? "")|\($0["track_id"] ?? "")" }
            #expect(keys.count == 40 + added)
            #expect(Set(keys).count == keys.count)
            #expect(added == 3)
        }
    }

    @Test func malformedCursorsAndLimitsAreRefusedWithAClearMessage() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let site = try await server.tenant("site", admin: admin, cameras: ["door"])
            let rows = try await ResultRows(server)
            let run = try await rows.run()
            for i in 0..<3 { try await rows.event(camera: site.cameras[0], run: run, at: i) }
            let first = try await server.get("/api/v1/events?limit=1", token: admin.token)
            let cursor = try #require(first["next_cursor"] as? String)
            #expect(try await server.get("/api/v1/events?limit=1&cursor=\(cursor)", token: admin.token).status == 200)
            // Garbage, a truncated cursor, another list's cursor, and too many keys.
            let tracksCursor = Data("v1.tracks.1,2,3,4".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            let extraKeys = Data("v1.events.1,2,3".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            for bad in ["not*a*cursor", String(cursor.dropLast(3)), tracksCursor, extraKeys, "AAAA"] {
                let reply = try await server.get("/api/v1/events?cursor=\(bad)", token: admin.token)
                #expect(reply.status == 400, "\(bad): \(reply.body)")
                #expect(reply.errorCode == "invalid_cursor", "\(bad): \(reply.body)")
            }
            #expect(try await server.get("/api/v1/tracks?cursor=\(cursor)", token: admin.token).errorCode == "invalid_cursor")
            let over = try await server.get("/api/v1/events?limit=1001", token: admin.token)
            #expect(over.status == 400)
            #expect((over.json?["error"] as? [String: Any])?["message"] as? String == "query parameter limit: expected an integer in 1...1000")
            #expect(try await server.get("/api/v1/track-points?limit=1000", token: admin.token).status == 200)
            #expect(try await server.get("/api/v1/events?cameras=1,,2", token: admin.token).status == 400)
            #expect(try await server.get("/api/v1/events?severity=loud", token: admin.token).status == 400)
            #expect(try await server.get("/api/v1/events?after=2026-11-16T00:00:00Z&before=2026-11-15T00:00:00Z", token: admin.token).status == 400)
        }
    }
}
