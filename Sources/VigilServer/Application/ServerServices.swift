import Foundation
import Hummingbird
import Logging
import VigilStore

/// Everything the controllers share, built once per server: the repositories over one database pool, the
/// token machinery, the mailer, the rate limiters, the audit log and the WebSocket hub.
struct ServerServices: Sendable {
    let configuration: ServerConfiguration
    let database: Database
    let logger: Logger
    let users: UserRepository
    let tenants: TenantRepository
    let cameras: CameraRepository
    let environments: EnvironmentRepository
    let tasks: ProcessingTaskRepository
    let exports: ExportRepository
    let analytics: AnalyticsRepository
    let media: MediaRepository
    let events: EventRepository
    let tracks: TrackRepository
    let aggregates: AggregateRepository
    let sessions: SessionRepository
    let codes: OneTimeCodeRepository
    let alerts: SecurityAlertRepository
    let tokens: AccessTokens
    let passwords: Passwords
    let mailer: any Mailer
    let limits: RateLimits
    let audit: AuditLog
    let hub: Hub
    let tracking: TrackingFeed
    let frames: FrameFeed
    let alertsFeed: EventFeed
    let ingest: FrameIngest
    let standingCache: SessionStandingCache
    let partitions: PartitionKeeper
    var activity: ActivityRepository { audit.activity }

    /// Records an audit row for a request.
    @discardableResult
    func record(_ action: String, _ outcome: ActivityEntry.Outcome, context: AppRequestContext, caller: Caller? = nil,
                user: User? = nil, target: String? = nil, details: [String: JSONValue] = [:]) async -> ActivityEntry? {
        let who = caller ?? context.identity
        return await audit.record(.init(tenantID: who?.tenantID ?? user?.tenantId, userID: who?.userID ?? user?.id,
                                        username: who?.username ?? user?.username, address: context.clientAddress, action: action,
                                        target: target, outcome: outcome, requestID: context.id, details: .object(details)))
    }
}

/// The rate limits: log-in and code attempts per client address and per account, registration and code
/// re-sending per address, and a general request budget per access token.
struct RateLimits: Sendable {
    let loginPerAddress: RateLimiter
    let loginPerAccount: RateLimiter
    let codePerAccount: RateLimiter
    let registerPerAddress: RateLimiter
    let requestsPerToken: RateLimiter

    init(_ c: ServerConfiguration.Limits) {
        loginPerAddress = RateLimiter(policy: c.loginPerAddress)
        loginPerAccount = RateLimiter(policy: c.loginPerAccount)
        codePerAccount = RateLimiter(policy: c.codePerAccount)
        registerPerAddress = RateLimiter(policy: c.registerPerAddress)
        requestsPerToken = RateLimiter(policy: c.requestsPerToken)
    }

    /// Throws 429 with `Retry-After` when `limiter` refuses `key`.
    static func enforce(_ limiter: RateLimiter, _ key: String, _ what: String) throws {
        if case .limited(let wait) = limiter.attempt(key) {
            let seconds = Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up))
            throw APIError.tooManyRequests(retryAfterSeconds: seconds, "too many \(what); retry in \(max(1, seconds)) s")
        }
    }
}
