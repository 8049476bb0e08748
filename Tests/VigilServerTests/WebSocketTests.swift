import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOHTTP1
import NIOWebSocket
import Synchronization
import Testing
@testable import VigilServer

@Suite("WebSocket /ws") struct WebSocketTests {
    /// Connects, runs `script` with the connection, returns the close frame.
    static func connect(_ server: TestServer, token: String? = nil,
                        _ script: @escaping @Sendable (WebSocketInboundMessageStream.AsyncIterator, WebSocketOutboundWriter) async throws -> Void)
        async throws -> WebSocketCloseFrame? {
        var configuration = WebSocketClientConfiguration()
        if let token { configuration.additionalHeaders = [.authorization: "Bearer \(token)"] }
        return try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/ws", configuration: configuration,
                                                 logger: Logger(label: "test.ws")) { inbound, outbound, _ in
            try await script(inbound.messages(maxSize: 1 << 20).makeAsyncIterator(), outbound)
        }
    }

    static func json(_ message: WebSocketMessage?) -> [String: Any] {
        guard case .text(let text) = message else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func headerAuthenticationAndEachMessageFilteredByTenant() async throws {
        try await TestServer.with { server in
            let admin = try await server.account("admin", role: .admin)
            let a = try await server.tenant("a", admin: admin, cameras: [])
            let b = try await server.tenant("b", admin: admin, cameras: [])
            let sa = try await server.account("sup-a", role: .supervisor, tenant: a.id)
            let sb = try await server.account("sup-b", role: .supervisor, tenant: b.id)
            let received = Mutex<[(action: String, tenant: Int)]>([])
            let close = try await Self.connect(server, token: sa.token) { messages, outbound in
                var messages = messages
                #expect(Self.json(try await messages.next())["type"] as? String == "authenticated")
                try await outbound.write(.text(#"{"type":"subscribe","channel":"activity"}"#))
                #expect(Self.json(try await messages.next())["type"] as? String == "subscribed")
                // Tenant B acts first, then tenant A: A's socket must get A's row and never B's.
                #expect(try await server.post("/api/v1/activity", token: sb.token, ["action": "b-did-this"]).status == 201)
                #expect(try await server.post("/api/v1/activity", token: sa.token, ["action": "a-did-this"]).status == 201)
                while let message = try await messages.next() {
                    let data = Self.json(message)["data"] as? [String: Any]
                    let action = data?["action"] as? String ?? "", tenant = data?["tenant_id"] as? Int ?? 0
                    received.withLock { $0.append((action, tenant)) }
                    if action == "client.a-did-this" { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            #expect(close?.closeCode == .normalClosure)
            let rows = received.withLock { $0 }
            #expect(rows.map(\.action).contains("client.a-did-this"))
            #expect(!rows.map(\.action).contains("client.b-did-this"))
            #expect(rows.allSatisfy { $0.tenant == a.id })
        }
    }

    @Test func browsersAuthenticateWithAFirstMessage() async throws {
        try await TestServer.with { server in
            let viewer = try await server.account("viewer", role: .viewer)
            _ = try await Self.connect(server) { messages, outbound in
                var messages = messages
                try await outbound.write(.text(#"{"type":"authenticate","token":"\#(viewer.token)"}"#))
                let hello = Self.json(try await messages.next())
                #expect(hello["type"] as? String == "authenticated")
                #expect((hello["user"] as? [String: Any])?["username"] as? String == "viewer")
                // A viewer may not read the security channel.
                try await outbound.write(.text(#"{"type":"subscribe","channel":"security"}"#))
                let refused = Self.json(try await messages.next())
                #expect(refused["type"] as? String == "error")
                #expect(refused["code"] as? String == "forbidden")
                try await outbound.write(.text(#"{"type":"subscribe","channel":"nope"}"#))
                #expect(Self.json(try await messages.next())["code"] as? String == "unknown_channel")
                try await outbound.write(.text(#"{"type":"ping"}"#))
                #expect(Self.json(try await messages.next())["type"] as? String == "pong")
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test func noAuthenticationWithinFiveSecondsOrABadTokenCloses4401() async throws {
        try await TestServer.with { server in
            let silent = try await Self.connect(server) { messages, _ in
                var messages = messages
                while try await messages.next() != nil {}
            }
            #expect(silent?.closeCode == .unknown(4401))
            let forged = try await Self.connect(server) { messages, outbound in
                var messages = messages
                try await outbound.write(.text(#"{"type":"authenticate","token":"eyJhbGciOiJub25lIn0.e30."}"#))
                while try await messages.next() != nil {}
            }
            #expect(forged?.closeCode == .unknown(4401))
            // A bad token in the header is refused before the upgrade.
            let reply = try await server.get("/ws", token: "garbage")
            #expect(reply.status == 401)
        }
    }

    /// A client that does not read keeps only the newest messages; the publisher never waits for it.
    @Test func aSlowClientGetsTheNewestMessagesAndSlowsNothing() async throws {
        let hub = Hub(queueCapacity: 4)
        let caller = Caller(userID: UUID(), username: "slow", role: .admin, tenantID: 1, tokenID: "t", sessionID: UUID())
        let (slow, slowQueue) = hub.connect(caller)
        let (fast, fastQueue) = hub.connect(caller)
        #expect(hub.subscribe(slow, to: "activity") == .subscribed)
        #expect(hub.subscribe(fast, to: "activity") == .subscribed)
        var fastIterator = fastQueue.makeAsyncIterator()
        var fastGot: [String] = []
        for i in 0..<10 {
            hub.publish(.init(channel: "activity", tenantID: 1, userID: nil, data: "\(i)"))
            if let m = await fastIterator.next() { fastGot.append(m) }
        }
        func text(_ i: Int) -> String { #"{"type":"message","channel":"activity","data":\#(i)}"# }
        #expect(fastGot == (0..<10).map(text))
        hub.close(slow)
        var slowGot: [String] = []
        for await m in slowQueue { slowGot.append(m) }
        #expect(slowGot == (6..<10).map(text))
        hub.close(fast)
    }
}
