import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore
import VigilTesting

/// `export` jobs run by a real `vigil worker`: the file equals what `vigil export` writes for the same
/// query, byte for byte; a tenant's job sees only its tenant's cameras; bad arguments fail the job with a
/// clear reason.
@Suite("Export jobs (worker process)", .serialized) struct ExportJobTests {
    static func enqueue(_ arguments: ExportJobArguments, _ queue: JobQueue) async throws -> Int {
        let json = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
        return try await queue.enqueue(NewJob(kind: .export, queue: "export", arguments: json, maxAttempts: 1)).job.id
    }

    @Test func anExportJobWritesWhatVigilExportWrites() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let fixture = try WorkerFixture(url: url)
            try fixture.addRecording(0)
            let run = try await fixture.vigil(["run", "tracking.yaml", "--quiet", "--to", "6s"])
            #expect(run.status == 0, "\(run.errors)")
            for (dataset, rows) in [("track_points", "points"), ("tracks", "tracks")] {
                let reference = try await fixture.vigil(["export", "tracks", "--rows", rows, "--format", "csv",
                                                         "--out", "reference-\(dataset).csv", "--quiet"])
                #expect(reference.status == 0, "\(reference.errors)")
            }
            let worker = try fixture.startWorker("exporter")
            try await fixture.withDatabase { db in
                let queue = JobQueue(database: db)
                let points = try await Self.enqueue(ExportJobArguments(dataset: "track_points", format: "csv", path: "out/points.csv"), queue)
                let tracks = try await Self.enqueue(ExportJobArguments(dataset: "tracks", format: "csv", path: "out/tracks.csv",
                                                                       cameras: ["plaza"], tenant: 1), queue)
                let otherTenant = try await Self.enqueue(ExportJobArguments(dataset: "track_points", format: "csv",
                                                                            path: "out/tenant2.csv", tenant: 2), queue)
                let otherTenantsCamera = try await Self.enqueue(ExportJobArguments(dataset: "track_points", format: "csv",
                                                                                   path: "out/leak.csv", cameras: ["plaza"], tenant: 2), queue)
                let bogus = try await Self.enqueue(ExportJobArguments(dataset: "faces", format: "csv", path: "out/bogus.csv"), queue)
                let all = [points, tracks, otherTenant, otherTenantsCamera, bogus]
                try await WorkerFixture.waitFor("five export jobs to end") {
                    try await queue.list(limit: 100).filter { all.contains($0.id) && ($0.state == .completed || $0.state == .failed) }.count == 5
                }
                let jobs = Dictionary(uniqueKeysWithValues: try await queue.list(limit: 100).map { ($0.id, $0) })
                #expect([points, tracks, otherTenant].allSatisfy { jobs[$0]?.state == .completed },
                        "\([points, tracks, otherTenant].map { jobs[$0]?.errors ?? "" })")

                let directory = URL(fileURLWithPath: fixture.directory)
                func bytes(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }
                let reference = try bytes("reference-track_points.csv")
                #expect(reference.count > 1000)
                #expect(try bytes("out/points.csv") == reference)
                #expect(try bytes("out/tracks.csv") == bytes("reference-tracks.csv"))
                // Tenant 2 has no cameras: a header and nothing else, and its job cannot name tenant 1's camera.
                let text = String(decoding: reference, as: UTF8.self)
                let header = try #require(text.range(of: "\r\n").map { String(text[..<$0.upperBound]) })
                #expect(try bytes("out/tenant2.csv") == Data(header.utf8))
                #expect(jobs[otherTenantsCamera]?.state == .failed)
                #expect(jobs[otherTenantsCamera]?.errors.contains("unknown camera 'plaza'; the database has no cameras") == true,
                        "\(jobs[otherTenantsCamera]?.errors ?? "")")
                #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/out/leak.csv"))
                #expect(jobs[bogus]?.state == .failed)
                #expect(jobs[bogus]?.errors.contains("unknown dataset 'faces'") == true, "\(jobs[bogus]?.errors ?? "")")
                #expect(jobs[points]?.result?.contains("\"rows\"") == true)
            }
            _ = await WorkerFixture.stop([worker])
        }
    }
}
