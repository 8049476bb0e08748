import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization
import Testing
import VigilServer
import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

/// The `vigil serve` binary as an operator runs it.
@Suite("vigil serve (process)") struct ServeProcessTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigil")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/vigil").path
    }

    /// SIGTERM with an open WebSocket and a request in flight: the request completes, the socket gets a
    /// close frame, the process exits 0.
    @Test func sigtermFinishesTheRequestInFlightClosesSocketsAndExitsZero() async throws {
        try await TestPostgres.withFreshDatabase { url in
            try await withDatabase(url, logger: TestServer.logger) { db in
                _ = try await Migrator(database: db).migrate()
                _ = try await AccountAdministration(database: db).create(username: "ops", email: "ops@example.com",
                                                                         password: "operations password", role: .admin)
            }
            let port = try EmbeddedPostgres.freePort()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-serve-\(UInt32.random(in: 0...UInt32.max))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let server = try ChildProcess([Self.binary, "serve", "--port", "\(port)", "--database-url", url.description, "--log-level", "warning"],
                                          environment: ProcessInfo.processInfo.environment.merging(["VIGIL_JWT_SECRET": String(repeating: "s", count: 40)]) { $1 },
                                          directory: directory)
            let base = "http://127.0.0.1:\(port)"
            // Awaited checks (a blocking wait would hold a thread of the two-thread cooperative pool).
            var healthy = false
            for _ in 0..<600 where !healthy {
                if !server.isRunning { throw TestServerError("vigil serve exited: \(await server.exited(timeout: 5).errors)") }
                healthy = try await ChildProcess(["curl", "-sf", "-o", "/dev/null", base + "/health"]).exited(timeout: 5).status == 0
                if !healthy { try await Task.sleep(for: .milliseconds(200)) }
            }
            try #require(healthy, "vigil serve did not answer /health")
            var login = HTTPClientRequest(url: base + "/api/v1/auth/login")
            login.method = .POST
            login.headers.add(name: "Content-Type", value: "application/json")
            login.body = .bytes(ByteBuffer(string: #"{"username":"ops","password":"operations password"}"#))
            let loginReply = try await HTTPClient.shared.execute(login, timeout: .seconds(30))
            let loginBody = try await loginReply.body.collect(upTo: 1 << 20)
            let token = try #require((try JSONSerialization.jsonObject(with: Data(loginBody.readableBytesView)) as? [String: Any])?["access_token"] as? String)

            // An authenticated WebSocket that stays open until the server closes it.
            let (opened, openedSink) = AsyncStream.makeStream(of: Void.self)
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.authorization: "Bearer \(token)"]
            let socket = Task {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws", configuration: configuration, logger: Logger(label: "test.ws")) { inbound, _, _ in
                    var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                    _ = try await messages.next()    // "authenticated"
                    openedSink.yield()
                    while try await messages.next() != nil {}
                }
            }
            var waitOpen = opened.makeAsyncIterator()
            _ = await waitOpen.next()

            // A request whose body is still arriving when SIGTERM comes.
            let (chunks, chunkSink) = AsyncStream.makeStream(of: ByteBuffer.self)
            var slow = HTTPClientRequest(url: base + "/api/v1/activity")
            slow.method = .POST
            slow.headers.add(name: "Content-Type", value: "application/json")
            slow.headers.add(name: "Authorization", value: "Bearer \(token)")
            let body = #"{"action":"shutdown-check","target":"in flight"}"#
            slow.body = .stream(chunks, length: .known(Int64(body.utf8.count)))
            let inFlight = Task { () -> Int in
                let reply = try await HTTPClient.shared.execute(slow, timeout: .seconds(60))
                _ = try await reply.body.collect(upTo: 1 << 20)
                return Int(reply.status.code)
            }
            chunkSink.yield(ByteBuffer(string: String(body.prefix(10))))
            try await Task.sleep(for: .milliseconds(500))
            server.signal(SIGTERM)
            try await Task.sleep(for: .milliseconds(500))
            chunkSink.yield(ByteBuffer(string: String(body.dropFirst(10))))
            chunkSink.finish()

            #expect(try await inFlight.value == 201, "the request in flight completes")
            let close = try await socket.value
            #expect(close?.closeCode == .normalClosure, "the socket got a close frame")
            let exit = await server.exited(timeout: 60)
            #expect(exit.status == 0, "\(exit.errors)")
            #expect(!exit.timedOut)
            let rows = try await withDatabase(url, logger: TestServer.logger) { (db: Database) async throws -> Int? in
                try await db.scalar(sql: "SELECT count(*) FROM activity_logs WHERE action = 'client.shutdown-check'", doing: "test").int
            }
            #expect(rows == 1)
        }
    }
}
