import Foundation

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

    /// Runs `vigil args...` in `directory` (default: the package root) and waits for it.
    @discardableResult
    static func run(_ args: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = try start(args, in: directory, environment: environment)
        return process.wait()
    }

    static func start(_ args: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Running {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.currentDirectoryURL = directory ?? packageRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let running = Running(process: process, out: out, err: err)
        try process.run()
        running.startReading()
        return running
    }

    /// A started process whose output is drained continuously (so it never blocks on a full pipe).
    final class Running: @unchecked Sendable {
        let process: Process
        private let out: Pipe, err: Pipe
        private let lock = NSLock()
        private var outData = Data(), errData = Data()
        private let group = DispatchGroup()

        init(process: Process, out: Pipe, err: Pipe) { self.process = process; self.out = out; self.err = err }

        func startReading() {
            for (pipe, isOut) in [(out, true), (err, false)] {
                group.enter()
                DispatchQueue.global().async { [self] in
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    lock.withLock { if isOut { outData = data } else { errData = data } }
                    group.leave()
                }
            }
        }

        func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

        func wait() -> Result {
            process.waitUntilExit()
            group.wait()
            return lock.withLock {
                Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
            }
        }
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
