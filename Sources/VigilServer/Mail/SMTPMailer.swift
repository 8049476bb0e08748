public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// Sends each mail over its own connection to an SMTP server (the server sends few mails: one-time codes
/// and notices), speaking EHLO (HELO as a fallback), STARTTLS, AUTH PLAIN or LOGIN, MAIL FROM, RCPT TO,
/// DATA and QUIT. Vigil's own code: no SMTP client library is among the packages the project can use.
///
/// URL forms (see `SMTPEndpoint`):
/// - `smtp://[user:password@]host[:port][?starttls=required|opportunistic|off]`: port 587; STARTTLS when
///   offered (`opportunistic`, the default), or else the mail is refused (`required`), or never (`off`).
///   Credentials travel only over TLS, unless `starttls=off` says the relay is trusted.
/// - `smtps://[user:password@]host[:port]`: TLS from the first byte, port 465.
/// - `tls_verify=off` skips certificate verification (tests and development only).
///
/// Every error is a `VigilError` that names the server (without credentials), the step and the server's
/// reply, e.g. `SMTP server smtp://mail.example.com:587 refused RCPT TO <x@y>: 550 no such user`.
/// The password is never logged.
public struct SMTPMailer: Mailer {
    /// How long each step may take.
    public struct Timeouts: Sendable {
        /// TCP connect (name resolution included).
        public var connect: Duration
        /// Each reply of the server (the greeting, each command's reply, the TLS handshake with the reply after it).
        public var reply: Duration

        public init(connect: Duration = .seconds(10), reply: Duration = .seconds(30)) {
            self.connect = connect
            self.reply = reply
        }
    }

    let endpoint: SMTPEndpoint
    let timeouts: Timeouts
    let logger: Logger
    let tlsContext: NIOSSLContext

    /// Throws `VigilError` (`.invalidArgument`) for a URL that does not parse; the error never repeats the URL.
    public init(url: String, logger: Logger, timeouts: Timeouts = Timeouts()) throws {
        endpoint = try SMTPEndpoint(url: url)
        self.timeouts = timeouts
        self.logger = logger
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !endpoint.verifiesCertificate { configuration.certificateVerification = .none }
        do {
            tlsContext = try NIOSSLContext(configuration: configuration)
        } catch {
            throw VigilError(.mailTLS, "cannot set up TLS for the SMTP client: \(error)", subject: endpoint.redacted)
        }
    }

    /// The server, without credentials: `smtp://mail.example.com:587`.
    public var server: String { endpoint.redacted }

    public func send(_ mail: Mail) async throws {
        let message = try SMTPMessage(mail)
        let channel = try await connect()
        try await channel.executeThenClose { inbound, outbound in
            var session = SMTPSession(endpoint: endpoint, timeouts: timeouts, logger: logger, channel: channel.channel,
                                      tlsContext: tlsContext, inbound: inbound, outbound: outbound)
            try await session.deliver(message)
        }
    }

    private func connect() async throws -> NIOAsyncChannel<String, ByteBuffer> {
        let implicitTLS = endpoint.security == .implicitTLS
        let host = endpoint.host
        let context = tlsContext
        let serverName: String? = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeouts.connect))
                .connect(host: host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHandler(SMTPLineDecoder())
                        return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            let why: String
            if case ChannelError.connectTimeout? = error as? ChannelError {
                why = "no connection within \(timeouts.connect)"
            } else if let error = error as? NIOConnectionError {
                let failures = error.connectionErrors.map { failure in
                    "\(failure.target): " + ((failure.error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(failure.error)")
                }
                    + [error.dnsAError, error.dnsAAAAError].compactMap { $0.map { "name lookup: \($0)" } }
                why = failures.isEmpty ? "\(error)" : failures.joined(separator: "; ")
            } else {
                why = "\(error)"
            }
            throw VigilError(.mailConnection, "cannot connect to SMTP server \(endpoint.redacted): \(why) "
                             + "(is the server running, and are the host and port right?)")
        }
    }
}
