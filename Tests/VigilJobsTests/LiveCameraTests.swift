import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore
import VigilTesting

/// Live cameras as `stream` jobs shared by real `vigil worker` processes: a killed worker's cameras are
/// taken over, each reporting the time nobody held it as one `stream_gap` event; a joining worker gets
/// its share without anyone restarting. Each camera is an ffmpeg TCP server on loopback (``CameraServer``)
/// streaming vtest.avi as MPEG-TS; the workers read it as a live network camera and reconnect to it.
@Suite("Live cameras across workers", .serialized) struct LiveCameraTests {
    static func pipeline(camera: String, url: String, fixture: WorkerFixture) throws -> String {
        let file = "\(camera).yaml"
        try """
            sources:
              \(camera):
                type: video
                url: \(url)
                fps: 2
            stages:
              moving:
                type: detect
                inputs: [\(camera)]
                kind: motion
              tracks:
                type: track
                inputs: [moving]
            sinks:
              db:
                type: postgres
                inputs: [tracks]
                url: \(fixture.url.uri)
                batch_age: 200ms
            """.write(toFile: fixture.directory + "/" + file, atomically: true, encoding: .utf8)
        return file
    }

    static func held(_ queue: JobQueue) async throws -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for job in try await queue.list(state: .running, limit: 100) where job.kind == .stream {
            out[job.leasedBy ?? "?", default: []].append(job.id)
        }
        return out
    }

    @Test func killedWorkersCamerasMoveAndAJoiningWorkerGetsItsShare() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            let cameras = (0..<4).map { "cam\($0)" }
            let servers = try cameras.map { _ in try CameraServer(video: WorkerFixture.vtest) }
            defer { servers.forEach { $0.stop() } }
            let files = try zip(cameras, servers).map { camera, server in
                try Self.pipeline(camera: camera, url: server.url, fixture: fixture)
            }
            let live = ["--capacity-cameras", "4", "--concurrency", "0"]
            let a = try fixture.startWorker("a", extra: live)
            let b = try fixture.startWorker("b", extra: live)
            var c: ChildProcess?
            defer { for worker in [a, b, c].compactMap({ $0 }) where worker.isRunning { worker.signal(SIGKILL) } }
            try await fixture.withDatabase { db in
                try await Migrator(database: db).migrate()
                let queue = JobQueue(database: db)
                var jobs: [String: Int] = [:]
                for (camera, file) in zip(cameras, files) {
                    let arguments = String(decoding: try JSONEncoder().encode(RunJobArguments(file: file)), as: UTF8.self)
                    jobs[camera] = try await queue.enqueue(NewJob(kind: .stream, queue: "stream", arguments: arguments)).job.id
                }
                try await WorkerFixture.waitFor("two cameras on each worker") {
                    let held = try await Self.held(queue)
                    return held["a"]?.count == 2 && held["b"]?.count == 2
                }
                let killed = Set(try await Self.held(queue)["a"] ?? [])
                let killedAt = Date()
                a.signal(SIGKILL)
                _ = await a.exited(timeout: 30)
                try await WorkerFixture.waitFor("b to hold all four cameras") { try await Self.held(queue)["b"]?.count == 4 }
                // Each camera taken over reports the gap once, on its own camera, once frames flow again.
                func gaps() async throws -> [String: Int] {
                    let rows = try await db.query("""
                        SELECT c.name, count(*)::int8 FROM events e JOIN cameras c ON c.id = e.camera_id
                        WHERE e.kind = 'stream_gap' AND e.attributes ->> 'cause' = 'handover' AND e.time >= $1::timestamptz
                        GROUP BY c.name
                        """, binding: [.time(killedAt)], doing: "reading gaps")
                    return Dictionary(uniqueKeysWithValues: rows.map { ($0[0].text ?? "", $0[1].int ?? 0) })
                }
                let takenOver = Set(jobs.filter { killed.contains($0.value) }.keys)
                do {
                    try await WorkerFixture.waitFor("a gap event per camera taken over") { Set(try await gaps().keys) == takenOver }
                } catch {
                    // What the worker that took the cameras over saw, for the failure's report.
                    b.signal(SIGTERM)
                    Issue.record("worker b's log: \(await b.exited(timeout: 30).errors.suffix(20000))")
                    throw error
                }
                #expect(try await gaps() == Dictionary(uniqueKeysWithValues: takenOver.map { ($0, 1) }))
                let gapSeconds = try await db.query("""
                    SELECT (attributes ->> 'gap_seconds')::float8 FROM events WHERE kind = 'stream_gap' AND time >= $1::timestamptz
                    """, binding: [.time(killedAt)], doing: "reading gap lengths").compactMap { $0[0].double }
                // At least the lease (3 s) passed before anyone could take the cameras; far less than a minute.
                #expect(gapSeconds.allSatisfy { $0 >= 2 && $0 < 60 }, "\(gapSeconds)")

                c = try fixture.startWorker("c", extra: live)
                try await WorkerFixture.waitFor("the cameras to rebalance") {
                    let held = try await Self.held(queue)
                    return held["b"]?.count == 2 && held["c"]?.count == 2
                }
                // Still one holder per camera, and every camera still running.
                let running = try await queue.list(state: .running).filter { $0.kind == .stream }
                #expect(Set(running.map(\.id)) == Set(jobs.values))
            }
            _ = await WorkerFixture.stop([b, c].compactMap { $0 })
        }
    }
}
