public import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests (a `vigil` run, ffmpeg, psql, a stream server), safe to use from tests
/// running in parallel in one process.
///
/// Foundation's `Process` is not: its children inherit every descriptor that is not close-on-exec
/// (other tests' pipe ends, and the socket through which Foundation watches another child's exit), so
/// one test's long-lived server can keep another test waiting for end-of-file or for an exit forever,
/// and its waits block one of the cooperative pool's few threads. Here the child gets only its three
/// standard descriptors, output is drained by dedicated threads, the exit is reaped by a dedicated
/// thread, and every wait has a deadline after which the child is killed.
public final class ChildProcess: Sendable {
    public struct Result: Sendable {
        /// Exit code, or 128 + signal number when a signal ended the child.
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        /// The deadline passed and the child was killed.
        public var timedOut: Bool

        public var output: String { String(decoding: stdout, as: UTF8.self) }
        public var errors: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Where a standard stream goes.
    public enum Stream: Sendable { case capture, discard }

    public let pid: pid_t
    public let command: String
    private let exit = Completion<Int32>()
    private let stdoutData: Completion<Data>?
    private let stderrData: Completion<Data>?
    private let killedForTimeout = Atomic<Bool>(false)
    /// Set (under the lock) once the child has exited, before it is reaped: signals are sent only while
    /// it is false, so a signal can never reach another process that reuses the pid.
    private let exited = Mutex(false)

    /// Starts `argv[0]` (an absolute path, or a name looked up in PATH) with `argv` as its arguments.
    public init(_ argv: [String], environment: [String: String]? = nil, directory: String? = nil,
                stdout: Stream = .capture, stderr: Stream = .capture) throws {
        precondition(!argv.isEmpty)
        command = argv.joined(separator: " ")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var readEnds: [Int32?] = [nil, nil], writeEnds: [Int32] = []
        for (index, stream) in [stdout, stderr].enumerated() {
            let target = Int32(index + 1)
            switch stream {
            case .discard:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            case .capture:
                var fds: [Int32] = [0, 0]
                guard pipe(&fds) == 0 else { throw ChildProcessError("pipe failed: errno \(errno)") }
                for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                posix_spawn_file_actions_adddup2(&actions, fds[1], target)
                readEnds[index] = fds[0]
                writeEnds.append(fds[1])
            }
        }
        // Nothing else of this process may leak into the child: descriptors opened without
        // close-on-exec by other threads are closed explicitly (closing one that is gone is ignored).
        for fd in Self.openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }

        var env = environment ?? ProcessInfo.processInfo.environment
        if env["PATH"] == nil { env["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        var argv = argv
        let program = argv[0].hasPrefix("/") ? argv[0] : Self.lookUp(argv[0], path: env["PATH"]!) ?? argv[0]
        argv[0] = program
        // (glibc's addchdir_np is not visible to Swift; GNU env changes the directory, then execs.)
        if let directory { argv = ["/usr/bin/env", "-C", directory, "--"] + argv }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        // An empty signal mask and default dispositions, whatever the test runner's threads use.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, &cEnv)
        for fd in writeEnds { close(fd) }
        guard spawned == 0 else {
            for fd in readEnds { if let fd { close(fd) } }
            throw ChildProcessError("cannot run \(program): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        let child = pid
        stdoutData = readEnds[0].map(Self.drain)
        stderrData = readEnds[1].map(Self.drain)
        Thread.detachNewThread { [self] in
            // Wait for the exit without reaping (the pid stays taken), close the door to signals, then reap.
            var info = siginfo_t()
            while waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            self.exited.withLock { $0 = true }
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            self.exit.complete(code)
        }
    }

    /// Runs a command to its end (killed after `timeout` seconds). The caller suspends: the whole test
    /// suite shares one process whose cooperative pool has a thread per core, and a thread blocked for a
    /// child's run stalls every other test (a migration waited 60 s for its next statement on CI).
    public static func run(_ argv: [String], environment: [String: String]? = nil, directory: String? = nil,
                           timeout: Double = 300) async throws -> Result {
        try await ChildProcess(argv, environment: environment, directory: directory).exited(timeout: timeout)
    }

    /// Runs a short command (a psql query) to its end, blocking the calling thread: for the few places
    /// that cannot suspend (a watcher thread, a synchronous closure). Anything long uses ``run(_:environment:directory:timeout:)``.
    public static func blocking(_ argv: [String], environment: [String: String]? = nil, directory: String? = nil,
                                timeout: Double = 60) throws -> Result {
        try ChildProcess(argv, environment: environment, directory: directory).wait(timeout: timeout)
    }

    public var isRunning: Bool { !exit.isDone }

    public func signal(_ signal: Int32) {
        exited.withLock { if !$0 { _ = Glibc.kill(pid, signal) } }
    }

    /// Blocks the calling thread until the child exits, killing it after `timeout` seconds. Only for
    /// threads of one's own; tasks use ``exited(timeout:)``.
    @available(*, noasync, message: "blocks a thread of the cooperative pool; use exited(timeout:)")
    @discardableResult
    public func wait(timeout: Double = 300) -> Result {
        if exit.wait(timeout: timeout) == nil { killForTimeout() }
        return result()
    }

    /// Suspends until the child exits, killing it after `timeout` seconds; no thread is blocked.
    @discardableResult
    public func exited(timeout: Double = 300) async -> Result {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if isRunning { killForTimeout() }
        return result()
    }

    /// SIGKILL, then the reaping (a killed child ends at once, so the short wait is fine anywhere,
    /// `defer` blocks of tasks included).
    public func kill() {
        signal(SIGKILL)
        _ = exit.wait(timeout: 10)
    }

    private func killForTimeout() {
        killedForTimeout.store(true, ordering: .relaxed)
        signal(SIGKILL)
        _ = exit.wait(timeout: 10)
    }

    private func result() -> Result {
        // Output ends when the child and anything that inherited its streams have closed them; a
        // daemon it left behind may keep them open, so do not wait for that forever.
        Result(status: exit.wait(timeout: 0) ?? -1,
               stdout: stdoutData?.wait(timeout: 5) ?? Data(), stderr: stderrData?.wait(timeout: 5) ?? Data(),
               timedOut: killedForTimeout.load(ordering: .relaxed))
    }

    /// Reads a pipe to its end on a dedicated thread.
    private static func drain(_ fd: Int32) -> Completion<Data> {
        let completion = Completion<Data>()
        Thread.detachNewThread {
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 { data.append(contentsOf: buffer[0..<n]) } else if n < 0 && errno == EINTR { continue } else { break }
            }
            close(fd)
            completion.complete(data)
        }
        return completion
    }

    static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    static func lookUp(_ name: String, path: String) -> String? {
        path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A value delivered once, awaited by threads with a deadline.
final class Completion<Value: Sendable>: Sendable {
    private let state = Mutex<Value?>(nil)
    private let condition = NSCondition()

    var isDone: Bool { state.withLock { $0 != nil } }

    /// The first call wins.
    func complete(_ value: Value) {
        state.withLock { if $0 == nil { $0 = value } }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks up to `timeout` seconds; `nil` when no value came in time.
    func wait(timeout: Double) -> Value? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = state.withLock({ $0 }) { return value }
            if !condition.wait(until: deadline) { return state.withLock { $0 } }
        }
    }
}
