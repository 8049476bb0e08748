public import Foundation
public import VigilStore

/// Mail kept instead of sent when no SMTP server is configured (development only).
public struct OutboxMessage: Codable, Sendable {
    public var id: Int
    public var createdAt: Date
    public var recipient: String
    public var subject: String
    public var body: String
}

public struct OutboxRepository: Sendable {
    let database: Database
    public init(database: Database) { self.database = database }

    func add(_ mail: Mail) async throws {
        var sql = SQLBuilder()
        try await database.execute("INSERT INTO mail_outbox (recipient, subject, body) VALUES (\(sql.bind(mail.to)), \(sql.bind(mail.subject)), \(sql.bind(mail.body)))",
                                   binding: sql.binds, doing: "writing to the mail outbox")
    }

    /// The newest messages, optionally for one recipient.
    public func latest(recipient: String? = nil, limit: Int = 20) async throws -> [OutboxMessage] {
        var sql = SQLBuilder()
        let filter = recipient.map { "WHERE lower(recipient) = lower(\(sql.bind($0)))" } ?? ""
        return try await database.query("SELECT id, created_at, recipient, subject, body FROM mail_outbox \(filter) ORDER BY id DESC LIMIT \(sql.bind(limit))",
                                        binding: sql.binds, doing: "reading the mail outbox").map {
            let r = Row($0)
            return OutboxMessage(id: try r.int(0), createdAt: try r.time(1), recipient: try r.text(2), subject: try r.text(3), body: try r.text(4))
        }
    }
}
