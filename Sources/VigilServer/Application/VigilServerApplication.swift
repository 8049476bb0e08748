public import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
public import Logging
import NIOSSL
import ServiceLifecycle
public import VigilStore

/// Builds the `vigil serve` application over a migrated database: middleware (request log and id,
/// errors as JSON, security headers, CORS, body limit, metrics, the access-token authenticator, the
/// per-token request budget), the route groups, the WebSocket hub and the partition keeper.
public struct VigilServerApplication {
    public let configuration: ServerConfiguration
    let services: ServerServices
    let router: Router<AppRequestContext>

    public init(configuration: ServerConfiguration, database: Database, jwtSecret: [UInt8], logger: Logger) async throws {
        _ = ServerMetrics.registry
        let hub = Hub()
        let partitions = PartitionKeeper(database: database, logger: logger)
        let mailer: any Mailer
        if let url = configuration.smtpURL {
            mailer = try SMTPMailer(url: url, logger: logger)
        } else {
            mailer = OutboxMailer(outbox: OutboxRepository(database: database), logger: logger)
        }
        let services = ServerServices(
            configuration: configuration, database: database, logger: logger, users: UserRepository(database: database),
            tenants: TenantRepository(database: database), cameras: CameraRepository(database: database),
            environments: EnvironmentRepository(database: database), tasks: ProcessingTaskRepository(database: database),
            exports: ExportRepository(database: database), analytics: AnalyticsRepository(database: database),
            media: MediaRepository(database: database),
            events: EventRepository(database: database),
            tracks: TrackRepository(database: database), aggregates: AggregateRepository(database: database),
            sessions: SessionRepository(database: database), codes: OneTimeCodeRepository(database: database),
            alerts: SecurityAlertRepository(database: database),
            tokens: await AccessTokens(secret: jwtSecret, lifetime: configuration.accessTokenLifetime),
            passwords: try await Passwords.make(cost: configuration.bcryptCost), mailer: mailer, limits: RateLimits(configuration.limits),
            audit: AuditLog(database: database, hub: hub, partitions: partitions, logger: logger), hub: hub,
            tracking: TrackingFeed(database: database, logger: logger), frames: FrameFeed(database: database),
            alertsFeed: EventFeed(hub: hub, events: EventRepository(database: database), database: database, logger: logger),
            ingest: FrameIngest(frames: PushedFrameRepository(database: database), settings: configuration.ingest),
            standingCache: SessionStandingCache(), partitions: partitions)
        self.configuration = configuration
        self.services = services
        self.router = Self.router(services)
    }

    static func router(_ services: ServerServices) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        let authenticator = AccessTokenAuthenticator(tokens: services.tokens, sessions: services.sessions, cache: services.standingCache)
        // Outermost first. Headers go on every response, errors included, so they sit outside the error mapping.
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: SecurityHeadersMiddleware(tls: services.configuration.tlsCertificatePath != nil))
        router.add(middleware: CORSAllowListMiddleware(origins: Set(services.configuration.allowedOrigins)))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: BodyLimitMiddleware(limit: services.configuration.maxBodyBytes))
        HealthController(services: services).register(on: router)
        DocsController().register(on: router)
        WebAppController(app: ServerResources.webApp).register(on: router)
        let api = router.group("api/v1").add(middleware: authenticator).add(middleware: RequestBudgetMiddleware(limiter: services.limits.requestsPerToken))
        AuthController(services: services).register(on: api.group("auth"))
        UserController(services: services).register(on: api.group("users"))
        TenantController(services: services).register(on: api.group("tenants"))
        CameraController(services: services).register(on: api.group("cameras"))
        EnvironmentController(services: services).register(on: api.group("environments"))
        ProcessingTaskController(services: services).register(on: api.group("processing-tasks"))
        ExportController(services: services).register(on: api.group("export"))
        AnalyticsController(services: services).register(on: api.group("analytics"))
        MediaController(services: services).register(on: api.group("media"))
        IngestController(services: services, ingest: services.ingest).register(on: api.group("ingest"))
        EventController(services: services).register(on: api.group("events"))
        TrackController(services: services).register(on: api.group("tracks"))
        TrackPointController(services: services).register(on: api.group("track-points"))
        IdentityController(services: services).register(on: api.group("identities"))
        AggregateController(services: services).register(on: api.group("aggregates"))
        ActivityController(services: services).register(on: api.group("activity"))
        SecurityController(services: services).register(on: api.group("security"))
        DMSController(services: services).register(on: api.group("dms"))
        AdminController(services: services).register(on: api.group("admin"))
        FaceSessionController(services: services).register(on: api.group("sessions"))
        let ws = router.group().add(middleware: authenticator)
        let sockets = WebSocketController(services: services, authenticator: authenticator)
        sockets.register(on: ws)
        TrackingSocketController(services: services, sockets: sockets).register(on: ws)
        FramesSocketController(services: services, sockets: sockets).register(on: ws)
        SystemSocketController(services: services, sockets: sockets).register(on: ws)
        return router
    }

    /// The routes, for the OpenAPI check.
    public var routes: [(method: String, path: String)] {
        router.routes.map { ($0.method.rawValue, $0.path.description) }
    }

    /// The application to run as a service; `onServerRunning` receives the bound port (0 picks a free one).
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let configuration = self.configuration
        let address = BindAddress.hostname(configuration.host, port: configuration.port)
        let server: HTTPServerBuilder
        let webSocket = HTTPServerBuilder.http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(maxFrameSize: WebSocketController.maxMessageBytes(configuration.ingest)))
        if let cert = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .file(key))
            server = try .tls(webSocket, tlsConfiguration: tls)
        } else {
            server = webSocket
        }
        let services = self.services
        return Application(router: router, server: server,
                           configuration: .init(address: address, serverName: "Vigil"),
                           services: [PartitionService(keeper: services.partitions), HubShutdown(hub: services.hub),
                                      ExportExpiryService(exports: services.exports, logger: services.logger),
                                      TrackingFeedService(feed: services.tracking), FrameFeedService(feed: services.frames),
                                      EventFeedService(feed: services.alertsFeed)],
                           onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
                           logger: services.logger)
    }
}

/// The general request budget per access token (after authentication; unauthenticated requests are
/// limited where they matter: log-in, sign-up, codes).
struct RequestBudgetMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let caller = context.identity { try RateLimits.enforce(limiter, caller.sessionID.uuidString, "requests with this token") }
        return try await next(request, context)
    }
}

/// Keeps partitions ahead while the server runs.
struct PartitionService: Service {
    let keeper: PartitionKeeper
    func run() async throws {
        try? await cancelWhenGracefulShutdown { await keeper.run() }
    }
}

/// Deletes export files once their retention has passed (downloads check the time themselves, so a
/// file is never served late; this frees the space).
struct ExportExpiryService: Service {
    let exports: ExportRepository
    let logger: Logger
    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let expired = try await exports.expire()
                    if expired > 0 { logger.info("export files expired", metadata: ["exports": "\(expired)"]) }
                } catch {
                    logger.warning("expiring export files failed; retrying in a minute", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .seconds(60))
            }
        }
    }
}

/// Listens for committed track points while the server runs; ends every tracking client on shutdown.
struct TrackingFeedService: Service {
    let feed: TrackingFeed
    func run() async throws {
        try? await cancelWhenGracefulShutdown { await feed.run() }
        feed.closeAll()
    }
}

/// Listens for committed events while the server runs (live alerts on `/ws`).
struct EventFeedService: Service {
    let feed: EventFeed
    func run() async throws {
        try? await cancelWhenGracefulShutdown { await feed.run() }
    }
}

/// Listens for new preview frames while the server runs; ends every MJPEG preview on shutdown.
struct FrameFeedService: Service {
    let feed: FrameFeed
    func run() async throws {
        try? await cancelWhenGracefulShutdown { await feed.run() }
        feed.closeAll()
    }
}

/// Ends every WebSocket queue on shutdown, so each connection's writer finishes and its socket closes.
struct HubShutdown: Service {
    let hub: Hub
    func run() async throws {
        try? await gracefulShutdown()
        hub.closeAll()
    }
}
