import Foundation
import Testing
import VigilTesting

/// Runs the built `vigil` binary, as a user would.
enum CLI {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary next to the test bundle (same build configuration).
    static var binary: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigil")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/vigil")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `vigil args...` in `directory` (default: the package root) and waits for it (killed after
    /// `timeout` seconds, which the result reports as a failure).
    /// The test suspends while it waits (no thread of the shared pool is blocked for the length of a run,
    /// which would starve tests that wait on timers).
    @discardableResult
    static func run(_ args: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    timeout: Double = 300) async throws -> Result {
        try await start(args, in: directory, environment: environment).exited(timeout: timeout)
    }

    static func start(_ args: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Running {
        Running(child: try ChildProcess([binary.path] + args,
                                        environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                        directory: (directory ?? packageRoot).path))
    }

    /// A started `vigil`; its output is drained continuously (so it never blocks on a full pipe).
    struct Running: Sendable {
        let child: ChildProcess

        var isRunning: Bool { child.isRunning }
        func signal(_ sig: Int32) { child.signal(sig) }

        func exited(timeout: Double = 300) async -> Result {
            let result = await child.exited(timeout: timeout)
            if result.timedOut { Issue.record("vigil \(child.command) did not end within \(Int(timeout)) s and was killed") }
            return Result(status: result.status, stdout: result.output, stderr: result.errors)
        }
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
