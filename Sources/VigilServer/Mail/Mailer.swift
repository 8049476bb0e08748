/// One e-mail the server sends (one-time codes, notices).
public struct Mail: Sendable, Equatable {
    public var from: String
    public var to: String
    public var subject: String
    /// Plain text, UTF-8; lines end with "\n" (the SMTP client turns them into CRLF and dot-stuffs them).
    public var body: String

    public init(from: String, to: String, subject: String, body: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// Sends mail. Implementations: `SMTPMailer` (a real SMTP server), `OutboxMailer` (development: a table and the log).
public protocol Mailer: Sendable {
    func send(_ mail: Mail) async throws
}
