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

    public init(host: String = "127.0.0.1", port: Int = 8080, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil,
                allowedOrigins: [String] = [], maxBodyBytes: Int = 1 << 20, accessTokenLifetime: TimeInterval = 15 * 60,
                refreshTokenLifetime: TimeInterval = 30 * 24 * 3600, bcryptCost: UInt8 = 12, smtpURL: String? = nil,
                mailFrom: String = "vigil@localhost") {
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
    }
}
