// Ingest benchmark: track-point rows per second through the `postgres` sink versus
// `psql -c "\copy track_points(...) from FILE csv"` of the same rows into the same table, same run.
//
//   swift build -c release --product vigil-ingest-bench && .build/release/vigil-ingest-bench [rows] [rounds] [batch_rows]
//
// Uses $DATABASE_URL when set (its database is used as is, tables are truncated!), else a throwaway
// cluster from VigilTesting.
import Foundation
import Logging
import VigilCore
import VigilStore
import VigilTesting

let arguments = CommandLine.arguments
let rows = arguments.count > 1 ? Int(arguments[1]) ?? 500_000 : 500_000
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let batchRows = arguments.count > 3 ? Int(arguments[3]) ?? 5000 : 5000
let tracksPerFrame = 10
let messages = GeneratedFrames.messages(frames: rows / tracksPerFrame, tracksPerFrame: tracksPerFrame)
let origin = Date(timeIntervalSince1970: 1_700_000_000)
let logger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }

/// The same rows as CSV, in the sink's column order.
func writeCSV(to path: String, runID: Int, cameraID: Int) throws {
    var out = ""
    out.reserveCapacity(rows * 160)
    for case .frame(let f) in messages {
        let t = origin.addingTimeInterval(f.info.time.seconds)
        let stamp = ISO8601DateFormatter.string(from: t, timeZone: TimeZone(identifier: "UTC")!,
                                                formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        for p in f.tracks {
            let fields: [String] = [stamp, "\(cameraID)", "\(runID)", "\(f.info.index)", "\(f.info.time.seconds)", "\(p.trackID)",
                                    p.globalID.map(String.init) ?? "", "\(p.classID)", "\"\(p.label)\"", p.state.rawValue,
                                    "\(p.box.x)", "\(p.box.y)", "\(p.box.width)", "\(p.box.height)", "\(p.score)",
                                    p.mapX.map { "\($0)" } ?? "", p.mapY.map { "\($0)" } ?? ""]
            out += fields.joined(separator: ",") + "\n"
        }
    }
    try out.write(toFile: path, atomically: true, encoding: .utf8)
}

func psqlCopy(_ url: DatabaseURL, file: String) throws -> Double {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    let columns = SinkBatch.trackPointColumns.joined(separator: ",")
    process.arguments = [url.libpqString, "-v", "ON_ERROR_STOP=1", "-q", "-c", "\\copy track_points(\(columns)) from '\(file)' csv"]
    var env = ProcessInfo.processInfo.environment
    if let password = url.password { env["PGPASSWORD"] = password }
    process.environment = env
    let clock = ContinuousClock()
    let start = clock.now
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fatalError("psql failed with status \(process.terminationStatus)") }
    return seconds(clock.now - start)
}

func bench(_ url: DatabaseURL) async throws {
    _ = try await withDatabase(url, logger: logger) { db in try await Migrator(database: db).migrate() }
    var sinkRates: [Double] = [], psqlRates: [Double] = []
    let csv = FileManager.default.temporaryDirectory.path + "/vigil-ingest-\(getpid()).csv"
    defer { try? FileManager.default.removeItem(atPath: csv) }
    var csvWritten = false
    for round in 1...rounds {
        try await withDatabase(url, logger: logger) { db in
            try await db.execute(sql: "TRUNCATE track_points, tracks, identities, rollup_invalidations", doing: "truncating")
        }
        var context = StageContext(id: "db", logger: logger, mode: .batch, shutdown: ShutdownSignal(), frameRequirement: nil,
                                   upstreamSources: ["cam1"], pipelineName: "ingest-bench")
        context.runPolicy = RunPolicy(rerun: .replace, pipelineHash: "bench", inputs: ["cam1": "bench"])
        let spec = PostgresSinkSpec(url: url.uri, batchRows: batchRows, batchAge: 0.5, timeOrigin: origin)
        let stage = try await spec.makeStage(context: context)
        let clock = ContinuousClock()
        let start = clock.now
        try await stage.run(input: .from(messages), output: .discard)
        let sinkSeconds = seconds(clock.now - start)
        sinkRates.append(Double(rows) / sinkSeconds)

        let (runID, cameraID, count) = try await withDatabase(url, logger: logger) { db in
            let row = try await db.rows(sql: "SELECT max(run_id)::int, max(camera_id)::int, count(*)::int FROM track_points",
                                        doing: "ids").first ?? []
            let ids = (row.first?.int ?? 0, row.dropFirst().first?.int ?? 0, row.last?.int ?? 0)
            try await db.execute(sql: "TRUNCATE track_points", doing: "truncating")
            return ids
        }
        precondition(count == rows, "sink wrote \(count) rows, expected \(rows)")
        if !csvWritten { try writeCSV(to: csv, runID: runID, cameraID: cameraID); csvWritten = true }
        let psqlSeconds = try psqlCopy(url, file: csv)
        psqlRates.append(Double(rows) / psqlSeconds)
        print("round \(round): sink \(Int(sinkRates.last!)) rows/s (\(String(format: "%.2f", sinkSeconds)) s), "
              + "psql \\copy \(Int(psqlRates.last!)) rows/s (\(String(format: "%.2f", psqlSeconds)) s)")
    }
    let s = median(sinkRates), p = median(psqlRates)
    print("encoding alone (RowBuilder into binary COPY rows, no database): \(Int(encodeRate())) rows/s")
    print("| rows | rounds | sink rows/s (median) | psql \\copy rows/s (median) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    print("| \(rows) | \(rounds) | \(Int(s)) | \(Int(p)) | \(String(format: "%.2f", s / p))x |")
}

/// Rows per second of the sink's encoding step alone (median of 5), to tell our CPU time from the database's.
func encodeRate() -> Double {
    var rates: [Double] = []
    for _ in 0..<5 {
        var builder = RowBuilder(runID: 1, origin: origin, writeDetections: false, cameras: ["cam1": 1])
        var batch = SinkBatch()
        let clock = ContinuousClock()
        let start = clock.now
        for message in messages { builder.append(message, camera: 1, to: &batch) }
        precondition(batch.trackPoints.rows == rows)
        rates.append(Double(rows) / seconds(clock.now - start))
    }
    return median(rates)
}

if let env = ProcessInfo.processInfo.environment["DATABASE_URL"], !env.isEmpty {
    try await bench(try DatabaseURL.parse(env))
} else {
    try await TestPostgres.withFreshDatabase { url in try await bench(url) }
}
