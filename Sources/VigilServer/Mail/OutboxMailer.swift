import Logging

/// Development mail: kept in the `mail_outbox` table (`vigil users outbox` shows it) and written to the
/// server log. `vigil serve` says at start-up that mail is not being sent.
struct OutboxMailer: Mailer {
    let outbox: OutboxRepository
    let logger: Logger

    func send(_ mail: Mail) async throws {
        try await outbox.add(mail)
        logger.notice("mail kept in the outbox (no SMTP server configured)", metadata: [
            "mail.to": "\(mail.to)", "mail.subject": "\(mail.subject)", "mail.body": "\(mail.body)"])
    }
}
