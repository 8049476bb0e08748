import VigilCore
import Logging
import Foundation

/// The running `postgres` sink: a consumer (this task) encodes messages into the open batch, a
/// committer child task writes sealed batches; ``CommitStateMachine`` decides what happens when.
final class PostgresSink: Stage {
    let spec: PostgresSinkSpec
    let context: StageContext
    var logger: Logger

    init(spec: PostgresSinkSpec, context: StageContext) {
        self.spec = spec
        self.context = context
        self.logger = context.logger
        self.logger[metadataKey: "stage.id"] = "\(context.id)"
    }

    /// The run this sink writes, in the tenant of the cameras its sources are bound to.
    func runRequest(in runs: RunStore) async throws -> RunRequest {
        var request = runRequest
        request.tenantID = try await runs.tenant(ofBoundCameras: context.runPolicy.cameras)
        return request
    }

    /// The run this sink writes, derived from the context (in the default tenant).
    var runRequest: RunRequest {
        let options = context.runPolicy
        // Keys with `@` are facts of the run (its window, its cameras), not sources.
        let sources = options.inputs.isEmpty ? context.upstreamSources : options.inputs.keys.filter { !$0.hasPrefix("@") }
        // The job's time of each source (recorded footage) wins over this sink's `time_origin`.
        return RunRequest(pipelineName: context.pipelineName, pipelineHash: options.pipelineHash, sink: context.id,
                          mode: context.mode, inputs: options.inputs, sources: sources.sorted(),
                          policy: options.rerun ?? .default(for: context.mode), timeOrigin: spec.timeOrigin ?? Date(),
                          timeOrigins: options.timeOrigins.filter { sources.contains($0.key) }, lease: options.lease)
    }

    func run(input: StageInput, output: StageOutput) async throws {
        let url = try await StoreLocation.resolve(spec.url, logger: logger)
        try await withDatabase(url, logger: logger, maxConnections: 2) { db in
            try await write(input: input, database: db)
        }
    }

    /// A resume skips every message the earlier run committed (``ResumeFilter``), so the sources may start
    /// at any committed checkpoint mark.
    var resumeSupport: ResumeSupport { .continues }

    func resumeOffer() async throws -> [ResumePoint] {
        let url = try await StoreLocation.resolve(spec.url, logger: logger)
        return try await withDatabase(url, logger: logger, maxConnections: 1) { db in
            let migrator = Migrator(database: db)
            if spec.migrate { try await migrator.migrate() } else { try await migrator.requireCurrent() }
            let runs = RunStore(database: db)
            return try await runs.resumePoints(try await runRequest(in: runs))
        }
    }

    private func write(input: StageInput, database: Database) async throws {
        let migrator = Migrator(database: database)
        if spec.migrate { try await migrator.migrate() } else { try await migrator.requireCurrent() }
        let partitions = PartitionManager(database: database)
        try await partitions.createAhead(daysAhead: spec.partitionsAhead)
        if let retention = spec.retention {
            let dropped = try await partitions.dropOlder(than: Date().addingTimeInterval(-retention))
            if !dropped.isEmpty { logger.info("retention dropped partitions", metadata: ["partitions.count": "\(dropped.count)"]) }
        }
        let runs = RunStore(database: database)
        let bound = context.runPolicy.cameras
        let request = try await runRequest(in: runs)
        let handle = try await runs.begin(request)
        logger.info("writing run", metadata: ["run.id": "\(handle.id)", "run.policy": "\(request.policy)",
                                              "run.resumed": "\(handle.resumed)", "runs.replaced": "\(handle.replacedRuns)"])
        do {
            let sourceURLs = Dictionary(uniqueKeysWithValues: request.sources.map { ($0, request.inputs[$0]) })
            var cameras = try await runs.cameraIDs(for: sourceURLs, bound: bound, tenantID: request.tenantID)
            var builder = RowBuilder(runID: handle.id, origin: handle.timeOrigin, writeDetections: spec.detections, cameras: cameras)
            builder.setOrigins(handle.timeOrigins)
            if handle.resumed { builder.seedLastPoints(try await runs.lastTrackPoints(runID: handle.id)) }
            var filter = ResumeFilter(checkpoints: handle.checkpoints)
            let configuration = CommitStateMachine<SinkBatch>.Configuration(
                batchRows: spec.batchRows, batchAge: spec.batchAge, maxBufferedRows: spec.maxBufferedRows, retryFor: spec.retryFor)
            let coordinator = CommitCoordinator(machine: CommitStateMachine(
                configuration: configuration, lastCommittedSeq: handle.lastBatch, positions: handle.checkpoints) { SinkBatch() })
            // The commit path has its own libpq connection on its own thread (binary COPY, deadlines on every wait).
            let connection = LibPQConnection(url: database.url)
            defer { connection.close() }
            let writer = BatchWriter(connection: connection, runID: handle.id, lease: request.lease)
            let committer = Committer(coordinator: coordinator, writer: writer, logger: logger)
            var skipped = 0
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await committer.run() }
                var upstreamError: (any Error)?
                do {
                for try await message in input {
                    let key = StreamKey(source: message.sourceID, stream: message.port.rawValue)
                    let time = message.time.seconds
                    if !filter.isEmpty, filter.alreadyCommitted(key, time: time) { skipped += 1; continue }
                    var camera = cameras[message.sourceID]
                    if camera == nil {
                        camera = try await registerCamera(message.sourceID, runs: runs, tenantID: request.tenantID, into: &cameras)
                    }
                    guard let camera else { continue }
                    builder.cameras = cameras
                    let rows = builder.rowCount(message)
                    try await coordinator.append(key, time: time, rows: rows) { batch in
                        builder.append(message, camera: camera, to: &batch)
                    }
                }
                } catch where !(error is CancellationError) && !coordinator.hasFailed {
                    // Upstream failed: what arrived before is valid, commit it (a --resume continues from there).
                    upstreamError = error
                }
                coordinator.finishInput()
                try await group.waitForAll()
                if let upstreamError { throw upstreamError }
            }
            // A failed component upstream, or a source that reported a cut-short file, did so before ending
            // its output: both are known once the input has ended. The rows written stay either way. A batch
            // run stopped before the end of its inputs is not complete: a resume continues it.
            let truncated = context.upstreamSources.sorted().compactMap { context.progress.truncations[$0]?.description }
            let stoppedEarly = context.mode == .batch && context.shutdown.isRequested
            if let failure = context.progress.upstreamFailure(of: context.id) {
                try await runs.finish(runID: handle.id, status: "failed", error: failure, lease: request.lease)
            } else if !truncated.isEmpty {
                try await runs.finish(runID: handle.id, status: "truncated", error: truncated.joined(separator: "\n"),
                                      lease: request.lease)
            } else {
                try await runs.finish(runID: handle.id, status: stoppedEarly ? "interrupted" : "completed", error: nil,
                                      lease: request.lease)
            }
            logger.info("run written", metadata: ["run.id": "\(handle.id)", "rows": "\(coordinator.committedRows)",
                                                  "batches": "\(coordinator.committedSeq - handle.lastBatch)",
                                                  "messages.skipped": "\(skipped)"])
        } catch {
            let status = error is CancellationError ? "interrupted" : "failed"
            // Best effort, briefly: the failure may be that the database is gone.
            try? await runs.finish(runID: handle.id, status: status, error: String(describing: error), lease: request.lease,
                                   timeout: .seconds(5))
            throw error
        }
        do {
            try await Rollups(database: database).refresh()
            try await DailyStatistics(database: database).refresh(runIDs: [handle.id])
        } catch {
            logger.info("rollup refresh failed", metadata: ["error": "\(error)"])
        }
    }

    private func registerCamera(_ source: String, runs: RunStore, tenantID: Int,
                                into cameras: inout [String: Int]) async throws -> Int? {
        let ids = try await runs.cameraIDs(for: [source: context.runPolicy.inputs[source]], bound: context.runPolicy.cameras,
                                           tenantID: tenantID)
        cameras.merge(ids) { _, new in new }
        return ids[source]
    }
}

/// The committer task: performs the state machine's actions until everything is committed.
struct Committer: Sendable {
    let coordinator: CommitCoordinator<SinkBatch>
    let writer: BatchWriter
    let logger: Logger

    func run() async throws {
        do {
            try await loop()
        } catch {
            coordinator.fail(error)
            throw error
        }
    }

    private func loop() async throws {
        while true {
            try Task.checkCancellation()
            switch coordinator.nextAction() {
            case .commit(let batch):
                do {
                    try await writer.commit(batch)
                    coordinator.commitSucceeded(seq: batch.seq)
                } catch let error as CancellationError {
                    throw error
                } catch {
                    try await failed(batch.seq, error)
                }
            case .verify(let seq):
                do {
                    let last = try await writer.lastBatch()
                    logger.info("database reachable again", metadata: ["batch.seq": "\(seq)", "batch.committed": "\(last >= seq)"])
                    coordinator.verified(seq: seq, lastCommittedBatch: last)
                } catch let error as CancellationError {
                    throw error
                } catch {
                    try await failed(seq, error)
                }
            case .sleep(let until):
                await coordinator.waitForWake(timeout: until - coordinator.now)
            case .waitForData:
                await coordinator.waitForWake(timeout: nil)
            case .finished:
                return
            case .giveUp(let rows):
                throw VigilError(.database, "gave up after retrying for \(Int(coordinator.retryFor))s: the database stayed "
                    + "unreachable; \(rows) rows were not written (re-run with --resume to continue after the last "
                    + "committed batch)", subject: writer.url.description)
            }
        }
    }

    private func failed(_ seq: Int, _ error: any Error) async throws {
        let transient = StoreError.isTransient(error)
        switch coordinator.commitFailed(seq: seq, transient: transient) {
        case .fail:
            throw StoreError.wrap(error, doing: "committing batch \(seq)", url: writer.url)
        case .retry(let delay):
            logger.info("database unavailable, will retry", metadata: [
                "batch.seq": "\(seq)", "retry.after_seconds": "\(delay)", "rows.buffered": "\(coordinator.bufferedRows)",
                "error": "\(StoreError.wrap(error, doing: "committing", url: writer.url).message)"])
        }
    }
}
