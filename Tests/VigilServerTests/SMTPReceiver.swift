import Foundation
import Synchronization
import Testing
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// A real SMTP server for the tests: scripts/smtp-test-receiver (aiosmtpd) as a child process on a free
/// port of 127.0.0.1, writing each message it accepts to a folder. Python and aiosmtpd come from
/// scripts/install-test-tools (which scripts/test runs first); when it cannot install them the test fails
/// with its message.
final class SMTPReceiver: Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The venv's python (aiosmtpd, schemathesis), installed once per test run (`await python.value`).
    static let python = Task<Result<String, ReceiverUnavailable>, Never> {
        let script = packageRoot + "/scripts/install-test-tools"
        guard let result = try? await ChildProcess.run([script], timeout: 600) else {
            return .failure(ReceiverUnavailable(description: "cannot run \(script)"))
        }
        let python = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, FileManager.default.isExecutableFile(atPath: python) else {
            return .failure(ReceiverUnavailable(description: "scripts/install-test-tools failed (status \(result.status)), "
                                                + "so there is no SMTP server to test against:\n\(result.errors)"))
        }
        return .success(python)
    }

    let directory: String
    let port: Int
    private let process: ChildProcess

    /// Starts the receiver with scripts/smtp-test-receiver's options (`--tls starttls`, `--auth user:password`, ...).
    init(_ options: [String] = []) async throws {
        let python = try await Self.python.value.get()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-smtp-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = try ChildProcess([python, Self.packageRoot + "/scripts/smtp-test-receiver", "--dir", directory] + options,
                                       stdout: .discard)
        self.process = process
        let portFile = directory + "/port"
        try await waitUntil("the SMTP receiver to listen") {
            if !process.isRunning {
                throw ReceiverUnavailable(description: "scripts/smtp-test-receiver exited: \(process.wait(timeout: 5).errors)")
            }
            return FileManager.default.fileExists(atPath: portFile)
        }
        let text = try String(contentsOfFile: portFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        port = try #require(Int(text))
    }

    deinit {
        process.signal(SIGTERM)
        process.wait(timeout: 10)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The messages accepted so far, in order.
    func messages() throws -> [ReceivedMail] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("message-") && $0.hasSuffix(".json") }
            .sorted { Int($0.dropFirst(8).dropLast(5))! < Int($1.dropFirst(8).dropLast(5))! }
        return try names.map { name in
            try JSONDecoder().decode(ReceivedMail.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
        }
    }

    /// The one message accepted.
    func onlyMessage() throws -> ReceivedMail {
        let messages = try messages()
        try #require(messages.count == 1, "expected one message, the receiver has \(messages.count)")
        return messages[0]
    }

    /// What the receiver saw of the receiver's stderr (aiosmtpd's log), for failure messages.
    var log: String { process.isRunning ? "(running)" : process.wait(timeout: 1).errors }
}

/// One message as scripts/smtp-test-receiver recorded it.
struct ReceivedMail: Decodable {
    var mail_from: String
    var mail_options: [String]
    var rcpt_tos: [String]
    var helo: String?
    var extended_smtp: Bool
    var starttls: Bool
    var tls: Bool
    var authenticated_user: String?
    /// The message as received (dot-stuffing undone by the server), CRLF line ends.
    var raw: String
    /// Header values with RFC 2047 encoded words decoded.
    var headers: [String: String]
    /// The body with its transfer encoding undone.
    var body: String?
}

struct ReceiverUnavailable: Error, CustomStringConvertible {
    var description: String
}
