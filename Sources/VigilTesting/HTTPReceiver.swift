import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 receiver on 127.0.0.1 for tests and benchmarks (swift-nio, no framework): records every
/// request and answers as the test says, optionally after a delay (a slow receiver), without blocking
/// anything while it waits.
public final class HTTPReceiver: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        /// The first value of header `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: String
        /// Seconds to wait before answering.
        public var delay: Double

        public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: String = "", delay: Double = 0) {
            self.status = status; self.headers = headers; self.body = body; self.delay = delay
        }
        public static let ok = Response()
    }

    /// Decides the answer to the `index`-th request (0-based, in arrival order).
    public typealias Responder = @Sendable (_ index: Int, _ request: Request) -> Response

    public let port: Int
    /// `http://127.0.0.1:<port>/hook`.
    public var url: String { "http://127.0.0.1:\(port)/hook" }

    private let serverChannel: any Channel
    private let recorder: Recorder
    private let connections: Connections

    private init(serverChannel: any Channel, port: Int, recorder: Recorder, connections: Connections) {
        self.serverChannel = serverChannel; self.port = port; self.recorder = recorder; self.connections = connections
    }

    /// Every request received so far, in arrival order.
    public var requests: [Request] { recorder.requests.withLock { $0 } }

    /// Starts listening on a free port of 127.0.0.1.
    public static func start(respond: @escaping Responder = { _, _ in .ok }) async throws -> HTTPReceiver {
        let recorder = Recorder()
        let connections = Connections()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ReceiverHandler(recorder: recorder, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw ChildProcessError("the receiver has no port") }
        return HTTPReceiver(serverChannel: channel, port: port, recorder: recorder, connections: connections)
    }

    /// Waits until `count` requests have arrived; throws after `timeout` seconds instead of hanging.
    @discardableResult
    public func waitForRequests(_ count: Int, timeout: Double = 30) async throws -> [Request] {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            let seen = requests
            if seen.count >= count { return seen }
            guard ContinuousClock.now < deadline else {
                throw ChildProcessError("the receiver got \(seen.count) of \(count) requests within \(timeout)s")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops listening and closes every connection (answers still waiting are never sent).
    public func shutdown() async {
        try? await serverChannel.close()
        for channel in connections.channels.withLock({ $0 }) { try? await channel.close() }
    }

    /// A port of 127.0.0.1 on which nothing listens (connections are refused).
    public static func unusedPort() throws -> Int {
        let listener = try SilentListener()
        listener.close()
        return listener.port
    }
}

private final class Recorder: Sendable {
    let requests = Mutex<[HTTPReceiver.Request]>([])
    func record(_ request: HTTPReceiver.Request) -> Int {
        requests.withLock { $0.append(request); return $0.count - 1 }
    }
}

private final class Connections: Sendable {
    let channels = Mutex<[any Channel]>([])
    func add(_ channel: any Channel) { channels.withLock { $0.append(channel) } }
}

private final class ReceiverHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let recorder: Recorder
    let respond: HTTPReceiver.Responder
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(recorder: Recorder, respond: @escaping HTTPReceiver.Responder) { self.recorder = recorder; self.respond = respond }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            let request = HTTPReceiver.Request(method: head.method.rawValue, uri: head.uri,
                                               headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
            let index = recorder.record(request)
            let response = respond(index, request)
            let channel = context.channel
            let keepAlive = head.isKeepAlive
            let send: @Sendable () -> Void = {
                guard channel.isActive else { return }
                var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
                headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.utf8.count)")
                if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
                let status = HTTPResponseStatus(statusCode: response.status)
                channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: status, headers: headers)),
                              promise: nil)
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: response.body))), promise: nil)
                channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
                    if !keepAlive { channel.close(promise: nil) }
                }
            }
            if response.delay > 0 {
                context.eventLoop.scheduleTask(in: .nanoseconds(Int64(response.delay * 1e9))) { send() }
            } else {
                send()
            }
            self.head = nil
        }
    }
}
