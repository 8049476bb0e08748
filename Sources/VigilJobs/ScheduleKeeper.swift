public import Foundation
public import Logging
public import VigilCore
import VigilStore

/// A job file with `schedule:`.
public struct ScheduledJob: Sendable {
    /// Identifies the schedule (the job file's path).
    public var name: String
    public var cron: CronSchedule
    public var timeZone: TimeZone
    public var missed: MissedFires
    public var queue: String
    public var arguments: RunJobArguments

    public init(name: String, cron: CronSchedule, timeZone: TimeZone, missed: MissedFires, queue: String = "default",
                arguments: RunJobArguments) {
        self.name = name; self.cron = cron; self.timeZone = timeZone; self.missed = missed; self.queue = queue
        self.arguments = arguments
    }
}

/// The leader's schedule duty: each schedule's last handled fire time lives in `job_schedules`; every
/// fire time after it that has come is enqueued as a job with the unique key `schedule:NAME:TIME`, so a
/// fire time is enqueued once whichever process fires it and however often. A schedule seen for the first
/// time starts counting from then (nothing before is "missed").
public struct ScheduleKeeper: Sendable {
    public let queue: JobQueue
    let source: @Sendable () throws -> [ScheduledJob]
    let now: @Sendable () -> Date
    /// Seconds a fire time may be late and still run under `missed: skip`.
    public let grace: Double
    let logger: Logger

    public init(queue: JobQueue, grace: Double = 300, now: @escaping @Sendable () -> Date = Date.init, logger: Logger,
                source: @escaping @Sendable () throws -> [ScheduledJob]) {
        self.queue = queue; self.source = source; self.now = now; self.grace = grace; self.logger = logger
    }

    /// Enqueues the fire times that have come; returns the ids of the jobs enqueued.
    public func fire() async throws -> [Int] {
        let schedules: [ScheduledJob]
        do {
            schedules = try source()
        } catch {
            logger.warning("cannot read the schedules", metadata: ["error": "\(error)"])
            return []
        }
        var enqueued: [Int] = []
        for schedule in schedules { enqueued += try await fire(schedule) }
        return enqueued
    }

    func fire(_ schedule: ScheduledJob) async throws -> [Int] {
        let now = self.now()
        let rows = try await queue.database.query("""
            INSERT INTO job_schedules (name, cron, time_zone, missed, last_fire) VALUES ($1, $2, $3, $4, $5::timestamptz)
            ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone, missed = EXCLUDED.missed,
                updated_at = now()
            RETURNING last_fire
            """, binding: [.text(schedule.name), .text(schedule.cron.expression), .text(schedule.timeZone.identifier),
                           .text(schedule.missed.rawValue), .time(now)],
            doing: "reading schedule \(schedule.name)")
        guard let last = rows.first?.first?.time else { return [] }
        var fires: [Date] = []
        var t = last
        while let next = schedule.cron.nextFire(after: t, in: schedule.timeZone), next <= now {
            fires.append(next)
            t = next
            if fires.count > 10_000 { break }
        }
        guard let latest = fires.last else { return [] }
        let due = schedule.missed == .catchUp ? Array(fires.suffix(100)) : fires.filter { now.timeIntervalSince($0) <= grace }
        if due.count < fires.count {
            logger.notice("schedule fire times missed", metadata: [
                "schedule": "\(schedule.name)", "missed": "\(fires.count - due.count)", "policy": "\(schedule.missed.rawValue)"])
        }
        var ids: [Int] = []
        for fire in due {
            let stamp = Self.iso8601(fire)
            var arguments = schedule.arguments
            arguments.firedAt = stamp
            let json = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
            let (job, inserted) = try await queue.enqueue(NewJob(kind: .run, queue: schedule.queue, arguments: json,
                                                                 uniqueKey: "schedule:\(schedule.name):\(stamp)"))
            if inserted { ids.append(job.id) }
        }
        try await queue.database.execute("""
            UPDATE job_schedules SET last_fire = greatest(last_fire, $2::timestamptz), updated_at = now() WHERE name = $1
            """, binding: [.text(schedule.name), .time(latest)], doing: "recording the fire of schedule \(schedule.name)")
        return ids
    }

    /// Seconds until the next fire time of any schedule (the leader sleeps no longer than that, so a fire
    /// is enqueued within milliseconds instead of up to a heartbeat late); `nil` without schedules.
    public func secondsToNextFire() -> Double? {
        guard let schedules = try? source() else { return nil }
        let now = self.now()
        let next = schedules.compactMap { $0.cron.nextFire(after: now, in: $0.timeZone) }.min()
        return next.map { max(0, $0.timeIntervalSince(now)) }
    }

    /// The next `count` fire times of each schedule after its last handled one (or now).
    public func upcoming(count: Int = 3) async throws -> [(schedule: ScheduledJob, last: Date?, next: [Date])] {
        let schedules = try source()
        var out: [(ScheduledJob, Date?, [Date])] = []
        for schedule in schedules {
            let last = try await queue.database.query("SELECT last_fire FROM job_schedules WHERE name = $1",
                                                      binding: [.text(schedule.name)], doing: "reading schedule").first?.first?.time
            var next: [Date] = []
            var t = max(last ?? now(), now())
            while next.count < count, let fire = schedule.cron.nextFire(after: t, in: schedule.timeZone) {
                next.append(fire)
                t = fire
            }
            out.append((schedule, last, next))
        }
        return out.map { (schedule: $0.0, last: $0.1, next: $0.2) }
    }

    static func iso8601(_ date: Date) -> String { date.ISO8601Format() }
}
