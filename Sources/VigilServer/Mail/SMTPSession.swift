import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization
import VigilCore

/// One SMTP conversation over an open channel, from the greeting to QUIT. It never closes the channel:
/// `SMTPMailer.send` owns it (through `NIOAsyncChannel.executeThenClose`) and closes it on every path.
struct SMTPSession {
    let endpoint: SMTPEndpoint
    let timeouts: SMTPMailer.Timeouts
    let logger: Logger
    let channel: any Channel
    let tlsContext: NIOSSLContext
    var inbound: NIOAsyncChannelInboundStream<String>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    private var assembler = SMTPReplyAssembler()
    private var linesConsumed = 0
    private var isEncrypted: Bool
    private let deadline = ReplyDeadline()

    init(endpoint: SMTPEndpoint, timeouts: SMTPMailer.Timeouts, logger: Logger, channel: any Channel, tlsContext: NIOSSLContext,
         inbound: NIOAsyncChannelInboundStream<String>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.endpoint = endpoint
        self.timeouts = timeouts
        self.logger = logger
        self.channel = channel
        self.tlsContext = tlsContext
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        isEncrypted = endpoint.security == .implicitTLS
    }

    /// Delivers `message`; throws a `VigilError` naming the step and the server's reply when anything fails.
    mutating func deliver(_ message: SMTPMessage) async throws {
        try expect(await reply(to: "the greeting"), 220, "the greeting")
        var extensions = try await hello()

        if !isEncrypted, endpoint.security != .plainText {
            if extensions["STARTTLS"] != nil {
                try expect(await command("STARTTLS"), 220, "STARTTLS")
                try await startTLS()
                // The handshake runs while this EHLO waits: a TLS failure surfaces here.
                extensions = try await hello(after: "the TLS handshake after STARTTLS")
            } else if endpoint.security == .startTLSRequired {
                throw failure(.mailTLS, "does not offer STARTTLS, and the URL says starttls=required")
            } else {
                logger.info("SMTP server offers no STARTTLS; sending in plain text", metadata: ["smtp.server": "\(endpoint.redacted)"])
            }
        }

        if let credentials = endpoint.credentials {
            try await authenticate(credentials, extensions: extensions)
        }

        let encoding = message.transferEncoding(serverAccepts8BitMIME: extensions["8BITMIME"] != nil)
        let mailFrom = "MAIL FROM:<\(message.sender.address)>" + (encoding == .eightBit ? " BODY=8BITMIME" : "")
        try expect(await command(mailFrom), 250, "MAIL FROM <\(message.sender.address)>")
        let rcptStep = "RCPT TO <\(message.recipient.address)>"
        try expect(await command("RCPT TO:<\(message.recipient.address)>", step: rcptStep), [250, 251], rcptStep)
        try expect(await command("DATA"), 354, "DATA")
        try await write(message.dataPayload(encoding: encoding), step: "the message")
        try expect(await reply(to: "the end of the message"), 250, "the message")
        logger.info("mail sent", metadata: ["smtp.server": "\(endpoint.redacted)", "mail.to": "\(message.recipient.address)",
                                            "mail.message_id": "\(message.messageID)"])

        // The mail is accepted: a failed QUIT loses nothing, so it is logged, not thrown.
        do {
            _ = try await command("QUIT")
        } catch {
            logger.debug("SMTP QUIT failed after the mail was accepted", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Steps

    /// EHLO, or HELO when the server does not know EHLO; the extensions it announced (none after HELO).
    private mutating func hello(after: String? = nil) async throws -> [String: [String]] {
        let name = clientName
        let ehlo = try await command("EHLO \(name)", step: after.map { "EHLO (\($0))" } ?? "EHLO")
        if ehlo.isPositive { return ehlo.extensions }
        guard (500..<600).contains(ehlo.code) else { throw refused("EHLO", ehlo) }
        try expect(await command("HELO \(name)", step: "HELO"), 250, "HELO")
        return [:]
    }

    private mutating func startTLS() async throws {
        let consumed = linesConsumed
        let context = tlsContext
        let host = endpoint.host
        let serverName: String? = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
        do {
            try await channel.eventLoop.submit { [channel] in
                let decoder = try channel.pipeline.syncOperations.handler(type: SMTPLineDecoder.self)
                guard decoder.hasNothingBeyond(consumed: consumed) else { throw PlainTextAfterStartTLS() }
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName),
                                                               position: .first)
            }.get()
        } catch is PlainTextAfterStartTLS {
            throw failure(.mailTLS, "sent more data after its STARTTLS reply, before the TLS handshake; the connection "
                          + "was dropped, since such data could be injected by anyone on the path")
        } catch {
            throw failure(.mailTLS, "STARTTLS could not start TLS: \(error)")
        }
        isEncrypted = true
    }

    private mutating func authenticate(_ credentials: SMTPEndpoint.Credentials, extensions: [String: [String]]) async throws {
        guard isEncrypted || endpoint.security == .plainText else {
            throw failure(.mailAuthentication, "offers no STARTTLS, so the password of '\(credentials.user)' was not sent "
                          + "(it would travel in plain text; use smtps://, or starttls=off for a trusted local relay)")
        }
        let mechanisms = extensions["AUTH"] ?? []
        if mechanisms.contains("PLAIN") {
            let token = Data("\0\(credentials.user)\0\(credentials.password)".utf8).base64EncodedString()
            let reply = try await command("AUTH PLAIN \(token)", step: "AUTH PLAIN", shownAs: "AUTH PLAIN <redacted>")
            try expectAuthenticated(reply, credentials, "AUTH PLAIN")
        } else if mechanisms.contains("LOGIN") {
            try expect(await command("AUTH LOGIN", step: "AUTH LOGIN"), 334, "AUTH LOGIN")
            let user = Data(credentials.user.utf8).base64EncodedString()
            try expect(await command(user, step: "AUTH LOGIN (user name)"), 334, "AUTH LOGIN (user name)")
            let password = Data(credentials.password.utf8).base64EncodedString()
            let reply = try await command(password, step: "AUTH LOGIN (password)", shownAs: "<redacted>")
            try expectAuthenticated(reply, credentials, "AUTH LOGIN")
        } else {
            let offered = mechanisms.isEmpty ? "no AUTH" : "AUTH \(mechanisms.joined(separator: " ")) only"
            throw failure(.mailAuthentication, "offers \(offered), but the URL gives credentials (Vigil speaks AUTH PLAIN and LOGIN)")
        }
    }

    private func expectAuthenticated(_ reply: SMTPReply, _ credentials: SMTPEndpoint.Credentials, _ step: String) throws {
        guard reply.code == 235 else {
            throw failure(.mailAuthentication, "rejected the credentials of user '\(credentials.user)' (\(step)): \(reply)")
        }
    }

    /// `[127.0.0.1]`: the address literal of our end (RFC 5321 §4.1.3), which needs no name lookup.
    private var clientName: String {
        switch channel.localAddress {
        case .v4(let address)?: return "[\(address.host)]"
        case .v6(let address)?: return "[IPv6:\(address.host)]"
        default: return "localhost"
        }
    }

    // MARK: Wire

    /// Sends one command line and reads the reply; `shownAs` replaces the line in logs.
    private mutating func command(_ line: String, step: String? = nil, shownAs: String? = nil) async throws -> SMTPReply {
        let step = step ?? line
        logger.trace("SMTP >", metadata: ["smtp.command": "\(shownAs ?? line)"])
        try await write(line + "\r\n", step: step)
        return try await reply(to: step)
    }

    private func write(_ text: String, step: String) async throws {
        do {
            try await outbound.write(ByteBuffer(string: text))
        } catch {
            throw lost(during: step, error)
        }
    }

    /// The next complete reply, within `timeouts.reply`.
    private mutating func reply(to step: String) async throws -> SMTPReply {
        let wait = deadline.begin()
        let pipeline = channel.pipeline
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeouts.reply)) { [deadline] in
            if deadline.expire(wait) { pipeline.fireErrorCaught(ReplyTimedOut()) }
        }
        defer {
            deadline.end(wait)
            timer.cancel()
        }
        while true {
            let line: String?
            do {
                line = try await inbound.next()
            } catch {
                throw lost(during: step, error)
            }
            guard let line else { throw failure(.mailConnection, "closed the connection during \(step)") }
            linesConsumed += 1
            logger.trace("SMTP <", metadata: ["smtp.reply": "\(line)"])
            do {
                if let reply = try assembler.add(line) { return reply }
            } catch {
                throw failure(.mailRejected, "answered \(step) with a line that is not an SMTP reply: '\(line)'")
            }
        }
    }

    // MARK: Errors

    private func expect(_ reply: SMTPReply, _ code: Int, _ step: String) throws {
        try expect(reply, [code], step)
    }

    private func expect(_ reply: SMTPReply, _ codes: [Int], _ step: String) throws {
        guard codes.contains(reply.code) else { throw refused(step, reply) }
    }

    private func refused(_ step: String, _ reply: SMTPReply) -> VigilError {
        failure(.mailRejected, "refused \(step): \(reply)")
    }

    /// "SMTP server smtp://host:587 refused RCPT TO <x@y>: 550 no such user".
    private func failure(_ code: VigilError.Code, _ what: String) -> VigilError {
        VigilError(code, "SMTP server \(endpoint.redacted) \(what)")
    }

    private func lost(during step: String, _ error: any Error) -> VigilError {
        switch error {
        case is ReplyTimedOut:
            return failure(.mailTimeout, "did not answer \(step) within \(timeouts.reply)")
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            let hint = endpoint.verifiesCertificate
                ? " (its certificate is checked against the system's trust roots and the host name; tls_verify=off turns the check off for tests)"
                : ""
            return failure(.mailTLS, "TLS failed during \(step): \(error)\(hint)")
        case is ChannelError where step.contains("TLS handshake"):
            // The handshake's own error can lose the race with the channel closing under load.
            let hint = endpoint.verifiesCertificate
                ? " (its certificate is checked against the system's trust roots and the host name; tls_verify=off turns the check off for tests)"
                : ""
            return failure(.mailTLS, "TLS failed during \(step): the connection closed during the handshake\(hint)")
        case let tooLong as SMTPLineDecoder.LineTooLong:
            return failure(.mailRejected, "broke the protocol during \(step): \(tooLong)")
        default:
            return failure(.mailConnection, "connection failed during \(step): \(error)")
        }
    }
}

/// What the reply timer fires into the pipeline; it ends the inbound stream.
struct ReplyTimedOut: Error {}

struct PlainTextAfterStartTLS: Error {}

/// Which reply wait is running, so that a timer that fires late never hits a later wait.
final class ReplyDeadline: Sendable {
    private let state = Mutex<(current: Int, active: Bool)>((0, false))

    func begin() -> Int {
        state.withLock { $0.current += 1; $0.active = true; return $0.current }
    }

    func end(_ wait: Int) {
        state.withLock { if $0.current == wait { $0.active = false } }
    }

    /// True (once) when `wait` is still running: the timer then fails it.
    func expire(_ wait: Int) -> Bool {
        state.withLock {
            guard $0.current == wait, $0.active else { return false }
            $0.active = false
            return true
        }
    }
}
