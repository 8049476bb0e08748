import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore
import VigilTesting

/// The queue's SQL against a real PostgreSQL: idempotent enqueueing, disjoint concurrent claims, leases
/// and their epochs, retries with backoff, rescue, cancel.
@Suite("Job queue") struct JobQueueTests {
    func withQueue(_ body: (JobQueue) async throws -> Void) async throws {
        try await TestPostgres.withFreshDatabase { url in
            try await withDatabase(url, logger: TestPostgres.logger, maxConnections: 4) { db in
                try await Migrator(database: db).migrate()
                try await body(JobQueue(database: db))
            }
        }
    }

    @Test func theSameUniqueKeyEnqueuesOneJob() async throws {
        try await withQueue { queue in
            let first = try await queue.enqueue(NewJob(kind: .run, arguments: #"{"file":"a.yaml"}"#, uniqueKey: "nightly-2024-01-01"))
            let second = try await queue.enqueue(NewJob(kind: .run, arguments: #"{"file":"b.yaml"}"#, uniqueKey: "nightly-2024-01-01"))
            #expect(first.inserted && !second.inserted)
            #expect(first.job.id == second.job.id)
            #expect(second.job.arguments.contains("a.yaml"))
            #expect(try await queue.list().count == 1)
            // A cancelled job frees its key.
            try await queue.cancel(id: first.job.id)
            #expect(try await queue.enqueue(NewJob(kind: .run, uniqueKey: "nightly-2024-01-01")).inserted)
        }
    }

    @Test func badJobsAreRefusedWithAReason() async throws {
        try await withQueue { queue in
            await #expect(throws: VigilError.self) { try await queue.enqueue(NewJob(kind: .run, arguments: "[1]")) }
            await #expect(throws: VigilError.self) { try await queue.enqueue(NewJob(kind: .run, priority: 10)) }
            await #expect(throws: VigilError.self) { try await queue.cancel(id: 999) }
        }
    }

    @Test func concurrentClaimsNeverShareAJob() async throws {
        try await withQueue { queue in
            for i in 0..<60 { try await queue.enqueue(NewJob(kind: .run, arguments: #"{"i":\#(i)}"#)) }
            let claims = try await withThrowingTaskGroup(of: [Int].self) { group in
                for w in 0..<4 {
                    group.addTask {
                        var mine: [Int] = []
                        while true {
                            let got = try await queue.claim(worker: "w\(w)", queues: ["default"], kinds: [.run], limit: 3, lease: 30)
                            if got.isEmpty { return mine }
                            mine += got.map(\.job.id)
                        }
                    }
                }
                var all: [[Int]] = []
                for try await ids in group { all.append(ids) }
                return all
            }
            let ids = claims.flatMap { $0 }
            #expect(ids.count == 60)
            #expect(Set(ids).count == 60)
        }
    }

    @Test func priorityThenScheduleOrder() async throws {
        try await withQueue { queue in
            let late = try await queue.enqueue(NewJob(kind: .run, priority: 5)).job
            let urgent = try await queue.enqueue(NewJob(kind: .run, priority: 0)).job
            let future = try await queue.enqueue(NewJob(kind: .run, priority: 0, scheduledAt: Date().addingTimeInterval(3_600))).job
            let got = try await queue.claim(worker: "w", queues: ["default"], kinds: [.run], limit: 10, lease: 30).map(\.job.id)
            #expect(got == [urgent.id, late.id])
            #expect(!got.contains(future.id))
        }
    }

    @Test func aLeaseIsKeptOnlyWithItsEpoch() async throws {
        try await withQueue { queue in
            try await queue.enqueue(NewJob(kind: .run))
            let claimed = try #require(try await queue.claim(worker: "a", queues: ["default"], kinds: [.run], limit: 1, lease: 30).first)
            #expect(try await queue.renew(worker: "a", held: [claimed.job.id: claimed.epoch], lease: 30) == [claimed.job.id: false])
            #expect(try await queue.renew(worker: "a", held: [claimed.job.id: claimed.epoch + 1], lease: 30).isEmpty)
            #expect(try await queue.renew(worker: "b", held: [claimed.job.id: claimed.epoch], lease: 30).isEmpty)
            // A cancel shows in the renewal.
            try await queue.cancel(id: claimed.job.id)
            #expect(try await queue.renew(worker: "a", held: [claimed.job.id: claimed.epoch], lease: 30) == [claimed.job.id: true])
            #expect(try await queue.cancelled(claimed))
            #expect(try await queue.job(id: claimed.job.id)?.state == .cancelled)
        }
    }

    @Test func anExpiredLeaseIsRescuedAndTheOldHolderIsFencedOut() async throws {
        try await withQueue { queue in
            try await queue.enqueue(NewJob(kind: .run))
            let old = try #require(try await queue.claim(worker: "a", queues: ["default"], kinds: [.run], limit: 1, lease: 3_600).first)
            #expect(try await queue.rescueExpired().isEmpty)  // not expired
            // The holder falls silent past its lease (the server's clock decides).
            try await queue.database.execute(sql: "UPDATE jobs SET lease_until = now() - interval '1 second'", doing: "expiring")
            #expect(try await queue.rescueExpired() == [old.job.id])
            let rescued = try #require(try await queue.job(id: old.job.id))
            #expect(rescued.state == .retryable && rescued.leaseEpoch == old.epoch + 1)
            #expect(rescued.errors.contains("lease expired"))
            let new = try #require(try await queue.claim(worker: "b", queues: ["default"], kinds: [.run], limit: 1, lease: 30).first)
            #expect(new.epoch == old.epoch + 2 && new.job.attempt == 2)
            // The old holder wakes up: nothing it reports changes the job.
            #expect(try await !queue.complete(old))
            #expect(try await !queue.fail(old, worker: "a", error: "late"))
            #expect(try await queue.renew(worker: "a", held: [old.job.id: old.epoch], lease: 30).isEmpty)
            #expect(try await queue.job(id: old.job.id)?.leasedBy == "b")
            #expect(try await queue.complete(new, result: #"{"ok":true}"#))
            #expect(try await queue.job(id: old.job.id)?.state == .completed)
        }
    }

    @Test func failuresBackOffThenFailForGood() async throws {
        try await withQueue { queue in
            let job = try await queue.enqueue(NewJob(kind: .run, maxAttempts: 2)).job
            let first = try #require(try await queue.claim(worker: "a", queues: ["default"], kinds: [.run], limit: 1, lease: 30).first)
            #expect(try await queue.fail(first, worker: "a", error: "boom 1", backoff: Backoff(base: 3_600), jitter: 0.5))
            let waiting = try #require(try await queue.job(id: job.id))
            #expect(waiting.state == .retryable && waiting.scheduledAt > Date().addingTimeInterval(3_000))
            // Not due during the backoff.
            #expect(try await queue.claim(worker: "a", queues: ["default"], kinds: [.run], limit: 1, lease: 30).isEmpty)
            // The backoff passes.
            try await queue.database.execute(sql: "UPDATE jobs SET scheduled_at = now() - interval '1 second'", doing: "waiting")
            let second = try #require(try await queue.claim(worker: "a", queues: ["default"], kinds: [.run], limit: 1, lease: 30).first)
            #expect(second.job.attempt == 2 && second.earlierAttempts == 1)
            #expect(try await queue.fail(second, worker: "a", error: "boom 2"))
            let failed = try #require(try await queue.job(id: job.id))
            #expect(failed.state == .failed && failed.finishedAt != nil)
            #expect(failed.errors.contains("boom 1") && failed.errors.contains("boom 2"))
            // Retry by hand: one more attempt.
            let again = try await queue.retry(id: job.id)
            #expect(again.state == .available && again.maxAttempts == 3)
        }
    }

    @Test func oneLeaderAtATime() async throws {
        try await withQueue { queue in
            #expect(try await queue.lead(worker: "a", ttl: 3_600))
            #expect(try await !queue.lead(worker: "b", ttl: 3_600))
            #expect(try await queue.lead(worker: "a", ttl: 3_600))
            // The leader falls silent past its lease.
            try await queue.database.execute(sql: "UPDATE job_leader SET lease_until = now() - interval '1 second'", doing: "expiring")
            #expect(try await queue.lead(worker: "b", ttl: 10))
            #expect(try await queue.leader() == "b")
            try await queue.resign(worker: "b")
            #expect(try await queue.lead(worker: "a", ttl: 10))
        }
    }

    @Test func backoffGrowsAndIsCapped() {
        let backoff = Backoff(base: 2, cap: 60)
        func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }
        #expect(near(backoff.delay(afterAttempt: 1, unit: 0.5), 2))
        #expect(near(backoff.delay(afterAttempt: 3, unit: 0.5), 8))
        #expect(near(backoff.delay(afterAttempt: 20, unit: 0.5), 60))
        #expect(near(backoff.delay(afterAttempt: 3, unit: 0), 7.2))
        #expect(near(backoff.delay(afterAttempt: 3, unit: 1), 8.8))
    }
}
