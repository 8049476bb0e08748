public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
import VigilCore
import VigilStore

/// How a worker takes part.
public struct WorkerConfiguration: Sendable {
    /// Unique among the workers sharing the database (default: host and pid).
    public var name: String
    public var queues: [String]
    /// Jobs of kind run, export and maintenance held at once.
    public var concurrency: Int
    /// Live cameras (`stream` jobs) held at once.
    public var capacityCameras: Int
    /// Seconds a claim or renewal holds a job; a worker silent for longer loses its jobs.
    public var lease: Double
    /// Seconds between renewals (a third of the lease or less).
    public var heartbeat: Double
    /// Seconds between looks at the queue when no notification arrives.
    public var poll: Double
    /// Finished jobs older than this many seconds are deleted by the leader.
    public var pruneAfter: Double

    public init(name: String = WorkerConfiguration.defaultName(), queues: [String] = ["default", "stream", "export"],
                concurrency: Int = 1, capacityCameras: Int = 4, lease: Double = 20, heartbeat: Double = 5, poll: Double = 5,
                pruneAfter: Double = 7 * 86_400) {
        self.name = name; self.queues = queues; self.concurrency = concurrency; self.capacityCameras = capacityCameras
        self.lease = lease; self.heartbeat = heartbeat; self.poll = poll; self.pruneAfter = pruneAfter
    }

    public static func defaultName() -> String { "\(ProcessInfo.processInfo.hostName)-\(getpid())" }
}

/// `vigil worker`: claims jobs from the queue up to its capacity, runs them through the executor,
/// renews their leases, and takes its turn as the leader (rescues expired leases, fires schedules,
/// prunes). On graceful shutdown it stops claiming, asks its jobs to stop cleanly and hands them back.
public final class Worker: Service, Sendable {
    public let queue: JobQueue
    public let configuration: WorkerConfiguration
    let executor: any JobExecutor
    let schedules: ScheduleKeeper?
    let logger: Logger
    private let state = Mutex(State())
    private let completions: CompletionBatcher
    private let claimWake = WakeSignal()
    private let heartbeatWake = WakeSignal()

    private struct State {
        var running: [Int: Held] = [:]
        var stopping = false
        var leading = false
        var lastPrune: Date = .distantPast
    }

    private struct Held {
        var claimed: ClaimedJob
        var control: JobControl
        var renewed: ContinuousClock.Instant
    }

    public init(queue: JobQueue, executor: any JobExecutor, configuration: WorkerConfiguration,
                schedules: ScheduleKeeper? = nil, logger: Logger) {
        self.queue = queue; self.executor = executor; self.configuration = configuration; self.schedules = schedules
        completions = CompletionBatcher(queue: queue)
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.name)"
        self.logger = logger
    }

    /// Ids of the jobs held now.
    public var heldJobs: [Int] { state.withLock { Array($0.running.keys).sorted() } }

    /// Stops claiming and asks every held job to stop and go back to the queue (what SIGTERM does).
    public func beginStopping() {
        let controls = state.withLock { state -> [JobControl] in
            state.stopping = true
            return state.running.values.map(\.control)
        }
        for control in controls { control.stop(.handBack) }
        claimWake.signal()
        heartbeatWake.signal()
    }

    public func run() async throws {
        let config = configuration
        try await queue.register(worker: config.name, host: ProcessInfo.processInfo.hostName, pid: Int(getpid()),
                                 queues: config.queues, concurrency: config.concurrency, capacityCameras: config.capacityCameras)
        logger.info("worker started", metadata: ["queues": "\(config.queues)", "concurrency": "\(config.concurrency)",
                                                 "capacity.cameras": "\(config.capacityCameras)"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                let database = queue.database
                group.addTask { [claimWake] in
                    await database.listen(channel: "vigil_jobs", connected: { claimWake.signal() }) { _ in claimWake.signal() }
                }
                group.addTask { [heartbeatWake] in
                    await database.listen(channel: "vigil_jobs_cancel") { _ in heartbeatWake.signal() }
                }
                group.addTask { await self.heartbeatLoop() }
                group.addTask { await self.leaderLoop() }
                await claimLoop(group: &group)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginStopping()
        }
        try? await queue.resign(worker: config.name)
        try? await queue.unregister(worker: config.name)
        logger.info("worker stopped")
    }

    // MARK: Claiming

    private func claimLoop(group: inout TaskGroup<Void>) async {
        let config = configuration
        while true {
            let (stopping, busy, streams) = state.withLock { state in
                (state.stopping, state.running.values.filter { $0.claimed.job.kind != .stream }.count,
                 state.running.values.filter { $0.claimed.job.kind == .stream }.count)
            }
            if stopping {
                if busy + streams == 0 { return }
                await claimWake.wait(timeout: .seconds(1))
                continue
            }
            do {
                var claimed = try await queue.claim(worker: config.name, queues: config.queues,
                                                    kinds: [.run, .export, .maintenance], limit: config.concurrency - busy,
                                                    lease: config.lease)
                if config.capacityCameras > streams {
                    let share = try await queue.streamShare(aliveWithin: config.lease)
                    let limit = min(config.capacityCameras, share) - streams
                    claimed += try await queue.claim(worker: config.name, queues: config.queues, kinds: [.stream],
                                                     limit: limit, lease: config.lease)
                }
                for job in claimed { start(job, in: &group) }
            } catch {
                logger.warning("cannot claim jobs", metadata: ["error": "\(error)"])
            }
            await claimWake.wait(timeout: .seconds(config.poll))
        }
    }

    private func start(_ claimed: ClaimedJob, in group: inout TaskGroup<Void>) {
        let control = JobControl(lease: LeaseFence(jobID: claimed.job.id, epoch: claimed.epoch))
        let stopNow = state.withLock { state -> Bool in
            state.running[claimed.job.id] = Held(claimed: claimed, control: control, renewed: .now)
            return state.stopping
        }
        if stopNow { control.stop(.handBack) }
        logger.info("job claimed", metadata: ["job.id": "\(claimed.job.id)", "job.kind": "\(claimed.job.kind.rawValue)",
                                              "job.attempt": "\(claimed.job.attempt)", "lease.epoch": "\(claimed.epoch)"])
        group.addTask { [self] in
            let outcome: Result<String?, any Error>
            do {
                outcome = .success(try await executor.execute(claimed, control: control))
            } catch {
                outcome = .failure(error)
            }
            await settle(claimed, control: control, outcome: outcome)
            state.withLock { _ = $0.running.removeValue(forKey: claimed.job.id) }
            claimWake.signal()
        }
    }

    /// Records how the job ended; retried for up to a lease (after that the leader rescues it anyway).
    private func settle(_ claimed: ClaimedJob, control: JobControl, outcome: Result<String?, any Error>) async {
        let id = claimed.job.id
        var reason = control.stopReason
        if case .failure(let error) = outcome, (error as? VigilError)?.code == .leaseLost { reason = .leaseLost }
        if reason == .leaseLost {
            logger.warning("job lost: another worker holds it now; nothing more is written for it",
                           metadata: ["job.id": "\(id)", "lease.epoch": "\(claimed.epoch)"])
            return
        }
        let deadline = ContinuousClock.now + .seconds(configuration.lease)
        while true {
            do {
                let kept: Bool
                switch (reason, outcome) {
                case (.cancelled?, _): kept = try await queue.cancelled(claimed, result: (try? outcome.get()) ?? nil)
                case (.handBack?, _): kept = try await queue.handBack(claimed)
                case (_, .success(let result)): kept = try await completions.complete(claimed, result: result)
                case (_, .failure(let error)): kept = try await queue.fail(claimed, worker: configuration.name, error: "\(error)")
                }
                logger.info("job ended", metadata: [
                    "job.id": "\(id)", "outcome": "\(reason?.rawValue ?? ((try? outcome.get()) != nil ? "completed" : "failed"))",
                    "recorded": "\(kept)"])
                if case .failure(let error) = outcome, reason == nil {
                    logger.warning("job attempt failed", metadata: ["job.id": "\(id)", "error": "\(error)"])
                }
                return
            } catch {
                if ContinuousClock.now > deadline {
                    logger.error("cannot record the end of the job; the leader will rescue it",
                                 metadata: ["job.id": "\(id)", "error": "\(error)"])
                    return
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    // MARK: Leases

    private func heartbeatLoop() async {
        let config = configuration
        while !Task.isCancelled {
            let (held, stopping) = state.withLock { state in
                (state.running.mapValues { $0.claimed.epoch }, state.stopping)
            }
            do {
                let alive = try await queue.renew(worker: config.name, held: held, lease: config.lease)
                let now = ContinuousClock.now
                let actions = state.withLock { state -> [(JobControl, StopReason)] in
                    var actions: [(JobControl, StopReason)] = []
                    for (id, _) in held {
                        guard state.running[id] != nil else { continue }
                        if let cancel = alive[id] {
                            state.running[id]?.renewed = now
                            if cancel { actions.append((state.running[id]!.control, .cancelled)) }
                        } else {
                            actions.append((state.running[id]!.control, .leaseLost))
                        }
                    }
                    return actions
                }
                for (control, reason) in actions where control.stopReason != reason { control.stop(reason) }
                try await queue.heartbeat(worker: config.name, stopping: stopping)
                if !stopping { try await rebalance() }
            } catch {
                if Task.isCancelled { return }
                logger.warning("cannot renew leases", metadata: ["error": "\(error)"])
                // Not renewed for a whole lease: the jobs may be another worker's by now. Stop writing.
                let expired = state.withLock { state in
                    state.running.values.filter { ContinuousClock.now - $0.renewed > .seconds(config.lease) }.map(\.control)
                }
                for control in expired { control.stop(.leaseLost) }
            }
            await heartbeatWake.wait(timeout: .seconds(config.heartbeat))
        }
    }

    /// A worker holding more cameras than its fair share (the live cameras over the workers that take
    /// cameras) hands the newest back: a joining worker gets cameras without anyone restarting.
    private func rebalance() async throws {
        let streams = state.withLock { state in
            state.running.values.filter { $0.claimed.job.kind == .stream && $0.control.stopReason == nil }
                .sorted { $0.claimed.job.id > $1.claimed.job.id }
        }
        guard !streams.isEmpty else { return }
        let share = try await queue.streamShare(aliveWithin: configuration.lease)
        guard streams.count > share else { return }
        for held in streams.prefix(streams.count - share) {
            logger.info("handing back a camera: above the fair share", metadata: [
                "job.id": "\(held.claimed.job.id)", "share": "\(share)", "held": "\(streams.count)"])
            held.control.stop(.handBack)
        }
    }

    // MARK: Leading

    private func leaderLoop() async {
        let config = configuration
        while !Task.isCancelled {
            var sleep = config.heartbeat
            do {
                let leading = try await queue.lead(worker: config.name, ttl: config.lease)
                let (was, lastPrune) = state.withLock { state in
                    defer { state.leading = leading }
                    return (state.leading, state.lastPrune)
                }
                if leading != was { logger.info(leading ? "leading" : "no longer leading") }
                if leading {
                    let rescued = try await queue.rescueExpired()
                    if !rescued.isEmpty { logger.notice("rescued jobs with expired leases", metadata: ["jobs": "\(rescued)"]) }
                    if let schedules {
                        let fired = try await schedules.fire()
                        if !fired.isEmpty { logger.info("schedules fired", metadata: ["jobs": "\(fired)"]) }
                        // Wake for the next fire time (just after it) rather than up to a heartbeat late.
                        if let next = schedules.secondsToNextFire() { sleep = min(sleep, next + 0.005) }
                    }
                    if Date().timeIntervalSince(lastPrune) > 3_600 {
                        let pruned = try await queue.prune(olderThan: config.pruneAfter)
                        state.withLock { $0.lastPrune = Date() }
                        if pruned > 0 { logger.info("pruned finished jobs", metadata: ["jobs": "\(pruned)"]) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("leader duties failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(sleep))
        }
    }
}
