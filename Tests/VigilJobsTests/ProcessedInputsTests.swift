import Foundation
import Testing
@testable import VigilJobs
import VigilStore
import VigilTesting

/// `processed_inputs` remembers a recording exactly as it was: a file recorded once is not new again,
/// whatever its modification time's microseconds (the client library truncates a Date to microseconds,
/// so a time can come back 1 µs lower; a CI run once saw a processed file processed again).
@Suite struct ProcessedInputsTests {
    @Test func aRecordedFileIsNeverNewAgainWhateverItsMicroseconds() async throws {
        try await TestPostgres.withFreshDatabase { url in
            try await withDatabase(url, logger: TestPostgres.logger) { db in
                try await Migrator(database: db).migrate()
                let inputs = ProcessedInputs(database: db)
                // 400 modification times a microsecond apart, rounded to the microsecond as FootageFolder does.
                let files = (0..<400).map { i in
                    InputFile(path: "footage/cam\(i).avi", size: 1000 + i,
                              modified: Date(timeIntervalSince1970: ((1_764_600_000.123_400 + Double(i) * 1e-6) * 1e6).rounded() / 1e6),
                              contentHash: String(repeating: "ab", count: 32))
                }
                for file in files { try await inputs.record(job: "job.yaml", file: file, jobID: nil) }
                let again = try await inputs.unprocessed(job: "job.yaml", files: files)
                #expect(again.isEmpty, "\(again.count) of \(files.count) recorded files came back as new: \(again.prefix(3).map(\.modified.timeIntervalSince1970))")
                // A changed file is new: other size, other content.
                var changed = files[0]
                changed.contentHash = String(repeating: "cd", count: 32)
                #expect(try await inputs.unprocessed(job: "job.yaml", files: [changed]).count == 1)
                #expect(try await inputs.unprocessed(job: "other.yaml", files: [files[1]]).count == 1)
            }
        }
    }
}
