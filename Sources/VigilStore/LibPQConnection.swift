import VigilCore
import Foundation
import Synchronization

/// One libpq connection served by its own OS thread, so that libpq's calls never block a thread of
/// Swift's cooperative pool. Callers `await` jobs; jobs run one at a time, in order, each with the
/// thread's ``LibPQSession``, whose every wait has a deadline. A connection that failed or timed out is
/// dropped and a new one is made by the next job.
///
/// The session (and with it the `PGconn`) belongs to the thread and is freed when the thread ends after
/// ``close()``.
final class LibPQConnection: Sendable {
    let url: DatabaseURL
    private let condition = NSCondition()
    private nonisolated(unsafe) var jobs: [Job] = []      // guarded by `condition`
    private nonisolated(unsafe) var stopping = false      // guarded by `condition`

    private struct Job {
        var flag: CancelFlag
        var run: (LibPQSession) -> Void
        var abandon: () -> Void
    }

    /// - Parameters:
    ///   - connectTimeout: how long establishing a connection (TCP or socket, TLS, authentication) may take.
    ///   - operationTimeout: how long one statement or COPY may take, from sending it to its last result.
    init(url: DatabaseURL, connectTimeout: Duration = .seconds(5), operationTimeout: Duration = .seconds(30),
         name: String = "vigil-libpq") {
        self.url = url
        let session = LibPQSession.Configuration(url: url, connectTimeout: connectTimeout, operationTimeout: operationTimeout)
        let thread = Thread { [self] in loop(LibPQSession(session)) }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on the connection's thread with the session and returns its result. Errors are
    /// ``VigilError``s (see ``StoreError``) saying what failed while `doing` what; cancelling the calling
    /// task interrupts the job's current wait and drops the connection.
    func withSession<R: Sendable>(doing: String, _ body: @escaping @Sendable (LibPQSession) throws -> R) async throws -> R {
        let flag = CancelFlag()
        let url = self.url
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
                    let job = Job(flag: flag, run: { session in
                        do { continuation.resume(returning: try body(session)) } catch { continuation.resume(throwing: error) }
                    }, abandon: { continuation.resume(throwing: CancellationError()) })
                    condition.lock()
                    if stopping {
                        condition.unlock()
                        job.abandon()
                        return
                    }
                    jobs.append(job)
                    condition.signal()
                    condition.unlock()
                }
            } onCancel: {
                flag.cancel()
            }
        } catch let error as CancellationError {
            throw error
        } catch {
            throw StoreError.wrap(error, doing: doing, url: url)
        }
    }

    /// Ends the thread once the job it runs (if any) is done; queued jobs fail with `CancellationError`.
    /// Does not wait: the thread closes the connection itself.
    func close() {
        condition.lock()
        stopping = true
        let abandoned = jobs
        jobs.removeAll()
        condition.signal()
        condition.unlock()
        for job in abandoned { job.abandon() }
    }

    private func loop(_ session: LibPQSession) {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                session.discard()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            session.cancelFlag = job.flag
            job.run(session)
            session.cancelFlag = nil
        }
    }
}

/// Set when the task awaiting a job is cancelled; the session checks it while it waits.
final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func cancel() { value.store(true, ordering: .relaxed) }
    var isCancelled: Bool { value.load(ordering: .relaxed) }
}
