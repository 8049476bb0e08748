public import Foundation

/// How `vigil serve` listens and what it trusts; read from flags and the environment by the CLI.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// PEM certificate chain and private key; both or neither.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Origins allowed to call the API from a browser (`Access-Control-Allow-Origin`); empty: none.
    public var allowedOrigins: [String]
    /// Request bodies larger than this get 413.
    public var maxBodyBytes: Int
    /// Lifetime of an access token.
    public var accessTokenLifetime: TimeInterval
    /// Lifetime of a refresh token (each use rotates it).
    public var refreshTokenLifetime: TimeInterval
    /// bcrypt cost of stored passwords (at least 12 outside tests of the hashing itself).
    public var bcryptCost: UInt8
    /// `smtp://user:password@host:port` (STARTTLS) or `smtps://...`; nil writes mail to the outbox.
    public var smtpURL: String?
    /// Sender of the server's mail.
    public var mailFrom: String
    /// Tenant of self-registered accounts.
    public var registrationTenantID: Int
    public var limits: Limits
    /// Database connections of the server's pool.
    public var databaseConnections: Int
    /// Where the pipelines processing tasks name live (`NAME.yaml`); the workers must see the same path.
    public var pipelinesDirectory = "Pipelines"
    /// The pipeline (in ``pipelinesDirectory``) a driver's monitoring session runs over their push camera.
    public var dmsPipeline = "driver-monitoring"
    /// The pipeline (in ``pipelinesDirectory``) a facial-analysis session runs over the user's push camera.
    public var facePipeline = "facial-analysis"
    /// How long a finished export file can be downloaded, in seconds.
    public var exportRetention: TimeInterval = 24 * 3600
    /// Frames pushed by clients (`/api/v1/ingest`, `frame` messages on `/ws`).
    public var ingest = Ingest()
    /// Files the server reads from disk: alert evidence and recordings.
    public var media = Media()

    public struct Media: Sendable {
        /// Relative evidence paths and camera URLs are read from here: the workers' working folder (a shared
        /// folder when workers run on other machines).
        public var root = FileManager.default.currentDirectoryPath
        /// Playback clips are cut into this folder and served from it while they are fresh.
        public var playbackCache = NSTemporaryDirectory() + "vigil-playback"
        /// A playback clip is at most this long, in seconds.
        public var maxPlaybackSeconds: Double = 600
        /// A cut clip is kept for this long for further requests (a player's Range requests), in seconds.
        public var playbackRetention: TimeInterval = 3600

        /// `path` as this server reads it: relative paths from ``root``. nil for a path that climbs out of
        /// it (`..`): rows name the files workers wrote, never an arbitrary file of the server.
        public func resolve(_ path: String) -> String? {
            guard !path.split(separator: "/").contains("..") else { return nil }
            return path.hasPrefix("/") ? path : root + "/" + path
        }
        public init() {}
    }

    public struct Ingest: Sendable {
        /// A larger JPEG is refused (413 / `too_large`); HTTP bodies are also bounded by `maxBodyBytes`.
        public var maxFrameBytes = 1 << 20
        /// Per camera; faster frames are refused (429 / `too_fast`), with a burst of one second's worth.
        public var framesPerSecond = 30
        /// A camera keeps its frames this long (seconds) for the worker's `push` source.
        public var retention: TimeInterval = 10
        public init() {}
    }

    /// Token-bucket policies (see `RateLimiter`).
    public struct Limits: Sendable {
        public var loginPerAddress: RateLimitPolicy
        public var loginPerAccount: RateLimitPolicy
        public var codePerAccount: RateLimitPolicy
        public var registerPerAddress: RateLimitPolicy
        public var requestsPerToken: RateLimitPolicy

        public init(loginPerAddress: RateLimitPolicy = .init(buckets: [.init(10, per: .seconds(60)), .init(100, per: .seconds(3600))]),
                    loginPerAccount: RateLimitPolicy = .init(buckets: [.init(5, per: .seconds(60)), .init(20, per: .seconds(3600))]),
                    codePerAccount: RateLimitPolicy = .init(buckets: [.init(10, per: .seconds(60)), .init(30, per: .seconds(3600))]),
                    registerPerAddress: RateLimitPolicy = .init(buckets: [.init(10, per: .seconds(3600))]),
                    requestsPerToken: RateLimitPolicy = .init(buckets: [.init(1200, per: .seconds(60))])) {
            self.loginPerAddress = loginPerAddress
            self.loginPerAccount = loginPerAccount
            self.codePerAccount = codePerAccount
            self.registerPerAddress = registerPerAddress
            self.requestsPerToken = requestsPerToken
        }
    }

    public init(host: String = "127.0.0.1", port: Int = 8080, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil,
                allowedOrigins: [String] = [], maxBodyBytes: Int = 1 << 20, accessTokenLifetime: TimeInterval = 15 * 60,
                refreshTokenLifetime: TimeInterval = 30 * 24 * 3600, bcryptCost: UInt8 = 12, smtpURL: String? = nil,
                mailFrom: String = "vigil@localhost", registrationTenantID: Int = 1, limits: Limits = Limits(),
                databaseConnections: Int = 16) {
        self.host = host
        self.port = port
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.allowedOrigins = allowedOrigins
        self.maxBodyBytes = maxBodyBytes
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.bcryptCost = bcryptCost
        self.smtpURL = smtpURL
        self.mailFrom = mailFrom
        self.registrationTenantID = registrationTenantID
        self.limits = limits
        self.databaseConnections = databaseConnections
    }
}
