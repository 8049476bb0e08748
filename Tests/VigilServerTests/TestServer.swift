import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing
import VigilServer
import VigilStore
import VigilTesting

/// A real `vigil serve` application on a loopback port over a fresh PostgreSQL database, with a real HTTP
/// client. Shut down gracefully when the test body returns.
struct TestServer: Sendable {
    let port: Int
    let database: Database
    let secret: [UInt8]
    let bcryptCost: UInt8
    var base: String { "http://127.0.0.1:\(port)" }

    static let secret = Array("test-secret-for-vigil-server-tests-0123456789".utf8)

    static var logger: Logger {
        var logger = Logger(label: "test.server")
        logger.logLevel = ProcessInfo.processInfo.environment["VIGIL_TEST_SERVER_LOG"] == nil ? .critical : .debug
        return logger
    }

    static func with<R: Sendable>(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                                  _ body: @Sendable (TestServer) async throws -> R) async throws -> R {
        // bcrypt at cost 12 takes about a second in a debug build, and the suite's servers share NIO's two
        // pool threads: tests hash at cost 4 unless they set it (the ones about the stored hash use 12).
        var configuration = ServerConfiguration(port: 0, bcryptCost: 4)
        configure(&configuration)
        let config = configuration
        return try await TestPostgres.withFreshDatabase { url in
            try await withDatabase(url, logger: logger, maxConnections: 8) { database in
                _ = try await Migrator(database: database).migrate()
                let app = try await VigilServerApplication(configuration: config, database: database, jwtSecret: secret, logger: logger)
                let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
                let application = try app.application { port in portSink.yield(port) }
                let group = ServiceGroup(configuration: .init(services: [.init(service: application)], logger: logger))
                return try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    var iterator = ports.makeAsyncIterator()
                    guard let port = await iterator.next() else { throw TestServerError("the server did not start") }
                    let server = TestServer(port: port, database: database, secret: secret, bcryptCost: config.bcryptCost)
                    do {
                        let result = try await body(server)
                        await group.triggerGracefulShutdown()
                        try await tasks.waitForAll()
                        return result
                    } catch {
                        await group.triggerGracefulShutdown()
                        try? await tasks.waitForAll()
                        throw error
                    }
                }
            }
        }
    }

    // MARK: Requests

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        /// The body's bytes as they came (binary downloads).
        var data = Data()
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
        var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
        subscript(_ key: String) -> Any? { json?[key] }
    }

    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil, body: String? = nil,
                 bytes: [UInt8]? = nil, headers extra: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        } else if let body {
            request.body = .bytes(ByteBuffer(string: body))
        } else if let bytes {
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        for (name, value) in extra { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes),
                     data: Data(bytes.readableBytesView))
    }

    func get(_ path: String, token: String? = nil) async throws -> Reply { try await request(.GET, path, token: token) }
    func post(_ path: String, token: String? = nil, _ json: Any) async throws -> Reply { try await request(.POST, path, token: token, json: json) }

    // MARK: Accounts

    struct Account: Sendable {
        var id: String
        var username: String
        var password: String
        var token: String
        var refreshToken: String
    }

    /// Creates an active account directly (as `vigil users create` does) and logs it in through the API.
    func account(_ username: String, role: Role, tenant: Int = 1, password: String = "a long enough password") async throws -> Account {
        let created = try await AccountAdministration(database: database, bcryptCost: bcryptCost).create(username: username, email: "\(username)@example.com",
                                                                                 password: password, role: role, tenantID: tenant)
        let login = try await post("/api/v1/auth/login", ["username": username, "password": password])
        guard login.status == 200, let token = login["access_token"] as? String, let refresh = login["refresh_token"] as? String else {
            throw TestServerError("log-in of \(username) failed: \(login.status) \(login.body)")
        }
        return Account(id: created.id.uuidString, username: username, password: password, token: token, refreshToken: refresh)
    }

    /// A tenant with a camera, made by an administrator through the API.
    func tenant(_ name: String, admin: Account, cameras: [String]) async throws -> (id: Int, cameras: [Int]) {
        let tenant = try await post("/api/v1/tenants", token: admin.token, ["name": name])
        guard tenant.status == 201, let id = tenant["id"] as? Int else { throw TestServerError("tenant \(name): \(tenant.status) \(tenant.body)") }
        var ids: [Int] = []
        for camera in cameras {
            let reply = try await post("/api/v1/cameras", token: admin.token, ["name": camera, "tenant_id": id, "url": "rtsp://\(camera).example/stream"])
            guard reply.status == 201, let cid = reply["id"] as? Int else { throw TestServerError("camera \(camera): \(reply.status) \(reply.body)") }
            ids.append(cid)
        }
        return (id, ids)
    }

    /// Rows of `sql` as text, for checks against the database itself.
    func strings(_ sql: String) async throws -> [String] {
        try await database.rows(sql: sql, doing: "test query").map { $0.map(\.description).joined(separator: "|") }
    }
}

struct TestServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
