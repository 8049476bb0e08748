import Foundation
import Logging
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// SMTPMailer against a real SMTP server (aiosmtpd, see `SMTPReceiver`): what arrives is what the server
/// parsed from the bytes on the wire.
@Suite struct SMTPMailerTests {
    let logs = CollectedLogs()

    func mailer(_ url: String, timeouts: SMTPMailer.Timeouts = .init()) throws -> SMTPMailer {
        try SMTPMailer(url: url, logger: logs.logger(), timeouts: timeouts)
    }

    let subject = "Ihr Anmeldecode für Vigil: 482 913 — bitte nicht weitergeben ✓ (Überwachung, Zürich)"
    let body = "Hallo Jürgen,\n.\n.hidden line that starts with a dot\n..two dots\n\nyour code is 482913.\r\n"
        + String(repeating: "é", count: 300) + "\nends with a space \nbye\n"

    func mail(to: String = "alice@example.org", subject: String? = nil) -> Mail {
        Mail(from: "Vigil Überwachung <vigil@example.com>", to: to, subject: subject ?? self.subject, body: body)
    }

    /// The error `body` throws, which must be a `VigilError`.
    func vigilError(_ body: () async throws -> Void) async throws -> VigilError {
        do {
            try await body()
        } catch let error as VigilError {
            return error
        }
        Issue.record("expected an error")
        throw ReceiverUnavailable(description: "no error")
    }

    // MARK: Delivery

    @Test func deliversOverRequiredSTARTTLSWithEnvelopeHeadersAndBody() async throws {
        let receiver = try await SMTPReceiver(["--tls", "starttls", "--require-starttls"])
        try await mailer("smtp://127.0.0.1:\(receiver.port)?starttls=required&tls_verify=off").send(mail())

        let received = try receiver.onlyMessage()
        #expect(received.starttls)
        #expect(received.extended_smtp)
        #expect(received.mail_from == "vigil@example.com")
        #expect(received.rcpt_tos == ["alice@example.org"])
        #expect(received.headers["Subject"] == subject)
        #expect(received.headers["From"] == "Vigil Überwachung <vigil@example.com>")
        #expect(received.headers["To"] == "alice@example.org")
        #expect(received.headers["MIME-Version"] == "1.0")
        #expect(received.headers["Content-Type"]?.contains("text/plain") == true)
        #expect(received.headers["Content-Type"]?.lowercased().contains("charset=utf-8") == true
                || received.headers["Content-Type"]?.lowercased().contains("charset=\"utf-8\"") == true)
        // aiosmtpd announces 8BITMIME, so the UTF-8 body goes as it is.
        #expect(received.headers["Content-Transfer-Encoding"] == "8bit")
        #expect(received.mail_options.contains("BODY=8BITMIME"))
        let messageID = try #require(received.headers["Message-ID"])
        #expect(messageID.hasPrefix("<") && messageID.hasSuffix("@example.com>"))
        let date = try #require(received.headers["Date"])
        #expect(date.range(of: #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$"#,
                            options: .regularExpression) != nil, "Date: \(date)")
        // Lines starting with "." (and a lone ".") survive dot-stuffing; every line ends in CRLF.
        #expect(received.body?.replacingOccurrences(of: "\r\n", with: "\n") == body.replacingOccurrences(of: "\r\n", with: "\n"))
        #expect(!received.raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!received.raw.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        // The long non-ASCII subject is folded into several encoded words of at most 75 characters.
        let subjectLines = received.raw.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }
            .prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count > 1)
        for line in subjectLines {
            let word = line.hasPrefix("Subject: ") ? String(line.dropFirst(9)) : String(line.dropFirst())
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.count <= 75, "\(line)")
        }
    }

    @Test func opportunisticSTARTTLSIsTheDefaultAndUsedWhenOffered() async throws {
        let receiver = try await SMTPReceiver(["--tls", "starttls"])
        try await mailer("smtp://127.0.0.1:\(receiver.port)?tls_verify=off").send(mail())
        #expect(try receiver.onlyMessage().starttls)
    }

    @Test func opportunisticSTARTTLSSendsInPlainTextWhenNotOffered() async throws {
        let receiver = try await SMTPReceiver()
        try await mailer("smtp://127.0.0.1:\(receiver.port)").send(mail())
        let received = try receiver.onlyMessage()
        #expect(!received.tls)
        #expect(received.headers["Subject"] == subject)
    }

    @Test func fallsBackToHELOWhenTheServerRefusesEHLO() async throws {
        let receiver = try await SMTPReceiver(["--no-ehlo"])
        try await mailer("smtp://127.0.0.1:\(receiver.port)").send(mail())
        let received = try receiver.onlyMessage()
        #expect(!received.extended_smtp)
        #expect(received.helo == "[127.0.0.1]")
        // No 8BITMIME without EHLO: the UTF-8 body goes quoted-printable and arrives intact.
        #expect(received.headers["Content-Transfer-Encoding"] == "quoted-printable")
        #expect(received.body?.replacingOccurrences(of: "\r\n", with: "\n") == body.replacingOccurrences(of: "\r\n", with: "\n"))
        #expect(!received.raw.contains("ü"))
    }

    @Test func aLineLongerThanSMTPAllowsGoesQuotedPrintableAndArrivesWhole() async throws {
        let receiver = try await SMTPReceiver()
        let long = ".starts with a dot, then " + String(repeating: "0123456789", count: 120) + " and ends with a tab\t"
        try await mailer("smtp://127.0.0.1:\(receiver.port)").send(Mail(from: "vigil@example.com", to: "alice@example.org",
                                                                          subject: "long", body: long + "\n"))
        let received = try receiver.onlyMessage()
        #expect(received.headers["Content-Transfer-Encoding"] == "quoted-printable")
        #expect(received.raw.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(received.body?.replacingOccurrences(of: "\r\n", with: "\n") == long + "\n")
    }

    @Test func implicitTLSWithAuthentication() async throws {
        let receiver = try await SMTPReceiver(["--tls", "implicit", "--auth", "alice:s3cret pass"])
        try await mailer("smtps://alice:s3cret%20pass@127.0.0.1:\(receiver.port)?tls_verify=off").send(mail())
        let received = try receiver.onlyMessage()
        #expect(received.tls && !received.starttls)
        #expect(received.authenticated_user == "alice")
    }

    // MARK: Authentication

    @Test func authPlainWithTheRightPasswordAndThePasswordIsNeverLogged() async throws {
        let receiver = try await SMTPReceiver(["--tls", "starttls", "--auth", "alice:correct-horse"])
        try await mailer("smtp://alice:correct-horse@127.0.0.1:\(receiver.port)?starttls=required&tls_verify=off").send(mail())
        #expect(try receiver.onlyMessage().authenticated_user == "alice")
        let token = Data("\0alice\0correct-horse".utf8).base64EncodedString()
        #expect(!logs.all.isEmpty)
        #expect(logs.all.allSatisfy { !$0.contains("correct-horse") && !$0.contains(token) }, "\(logs.all)")
    }

    @Test func authLoginWhenTheServerOffersOnlyLOGIN() async throws {
        let receiver = try await SMTPReceiver(["--tls", "starttls", "--auth", "alice:correct-horse", "--auth-mechanisms", "LOGIN"])
        try await mailer("smtp://alice:correct-horse@127.0.0.1:\(receiver.port)?tls_verify=off").send(mail())
        #expect(try receiver.onlyMessage().authenticated_user == "alice")
        let password = Data("correct-horse".utf8).base64EncodedString()
        #expect(logs.all.allSatisfy { !$0.contains("correct-horse") && !$0.contains(password) }, "\(logs.all)")
    }

    @Test func aWrongPasswordGivesAClearErrorWithoutThePassword() async throws {
        let receiver = try await SMTPReceiver(["--tls", "starttls", "--auth", "alice:correct-horse"])
        let error = try await vigilError {
            try await mailer("smtp://alice:battery-staple@127.0.0.1:\(receiver.port)?tls_verify=off").send(mail())
        }
        #expect(error.code == .mailAuthentication)
        #expect(error.description.contains("SMTP server smtp://127.0.0.1:\(receiver.port) rejected the credentials of user 'alice'"))
        #expect(error.description.contains("535"))
        #expect(!error.description.contains("battery-staple"))
        #expect(try receiver.messages().isEmpty)
    }

    @Test func thePasswordIsNotSentWhenTheServerOffersNoTLS() async throws {
        let receiver = try await SMTPReceiver(["--auth", "alice:correct-horse"])
        let error = try await vigilError {
            try await mailer("smtp://alice:correct-horse@127.0.0.1:\(receiver.port)").send(mail())
        }
        #expect(error.code == .mailAuthentication)
        #expect(error.description.contains("was not sent"), "\(error)")
        #expect(try receiver.messages().isEmpty)
    }

    // MARK: Refusals and failures

    @Test func requiredSTARTTLSFailsWhenTheServerDoesNotOfferIt() async throws {
        let receiver = try await SMTPReceiver()
        let error = try await vigilError {
            try await mailer("smtp://127.0.0.1:\(receiver.port)?starttls=required").send(mail())
        }
        #expect(error.code == .mailTLS)
        #expect(error.description.contains("does not offer STARTTLS"), "\(error)")
        #expect(try receiver.messages().isEmpty)
    }

    @Test func theCertificateIsVerifiedByDefault() async throws {
        let receiver = try await SMTPReceiver(["--tls", "starttls"])
        let error = try await vigilError {
            try await mailer("smtp://127.0.0.1:\(receiver.port)?starttls=required").send(mail())
        }
        #expect(error.code == .mailTLS, "\(error)")
        #expect(error.description.contains("TLS failed during EHLO (the TLS handshake after STARTTLS)"), "\(error)")
        // BoringSSL's reason when its error wins the race with the closing channel (under load it may not).
        #expect(error.description.contains("CERTIFICATE_VERIFY_FAILED") || error.description.contains("closed during the handshake"), "\(error)")
        #expect(error.description.contains("tls_verify=off"), "\(error)")
        #expect(try receiver.messages().isEmpty)
    }

    @Test func plainTextInjectedBehindTheSTARTTLSReplyEndsTheSession() async throws {
        let receiver = try await SMTPReceiver(["--tls", "starttls", "--inject-after-starttls"])
        let error = try await vigilError {
            try await mailer("smtp://127.0.0.1:\(receiver.port)?tls_verify=off").send(mail())
        }
        #expect(error.code == .mailTLS, "\(error)")
        #expect(error.description.contains("sent more data after its STARTTLS reply"), "\(error)")
        #expect(try receiver.messages().isEmpty)
    }

    @Test func aRefusedRecipientGivesAClearError() async throws {
        let receiver = try await SMTPReceiver(["--refuse-recipient", "nobody@example.org"])
        let error = try await vigilError {
            try await mailer("smtp://127.0.0.1:\(receiver.port)").send(mail(to: "nobody@example.org"))
        }
        #expect(error.code == .mailRejected)
        #expect(error.description == "SMTP server smtp://127.0.0.1:\(receiver.port) refused RCPT TO <nobody@example.org>: 550 5.1.1 no such user")
        #expect(try receiver.messages().isEmpty)
    }

    @Test func aHeaderInjectionInTheSubjectIsRefusedBeforeConnecting() async throws {
        let receiver = try await SMTPReceiver()
        let error = try await vigilError {
            try await mailer("smtp://127.0.0.1:\(receiver.port)").send(mail(subject: "code\r\nBcc: everyone@example.org"))
        }
        #expect(error.code == .invalidArgument)
        #expect(try receiver.messages().isEmpty)
    }

    @Test func aDeadPortGivesAClearConnectionError() async throws {
        // A port that was free a moment ago: nothing listens there.
        let listener = try SilentListener()
        let port = listener.port
        listener.close()
        let error = try await vigilError {
            try await mailer("smtp://127.0.0.1:\(port)").send(mail())
        }
        #expect(error.code == .mailConnection)
        #expect(error.description.contains("cannot connect to SMTP server smtp://127.0.0.1:\(port)"), "\(error)")
        #expect(error.description.contains("Connection refused"), "\(error)")
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let error = try await vigilError {
            try await mailer("smtp://127.0.0.1:\(listener.port)", timeouts: .init(reply: .seconds(1))).send(mail())
        }
        #expect(error.code == .mailTimeout)
        #expect(error.description.contains("did not answer the greeting"), "\(error)")
    }
}

@Suite struct SMTPMailerURLTests {
    let logger = Logger(label: "test")

    @Test func defaultPortsAndTheServerWithoutCredentials() throws {
        #expect(try SMTPMailer(url: "smtp://alice:pw@mail.example.com", logger: logger).server == "smtp://mail.example.com:587")
        #expect(try SMTPMailer(url: "smtps://mail.example.com", logger: logger).server == "smtps://mail.example.com:465")
        #expect(try SMTPMailer(url: "smtp://[::1]:2525?starttls=off", logger: logger).server == "smtp://[::1]:2525")
    }

    @Test(arguments: [
        "http://mail.example.com", "smtp://", "smtp://alice@mail.example.com", "smtp://mail.example.com/path",
        "smtp://mail.example.com?starttls=maybe", "smtp://mail.example.com?tls=on", "smtps://mail.example.com?starttls=required",
        "smtp://mail.example.com:0",
    ])
    func invalidURLsAreRefused(url: String) throws {
        #expect(throws: VigilError.self) { try SMTPMailer(url: url, logger: logger) }
    }

    @Test func theURLErrorNeverRepeatsThePassword() throws {
        do {
            _ = try SMTPMailer(url: "smtp://alice:hunter2@mail.example.com?unknown=1", logger: logger)
            Issue.record("expected an error")
        } catch let error as VigilError {
            #expect(error.code == .invalidArgument)
            #expect(error.description.contains("unknown option 'unknown'"))
            #expect(!error.description.contains("hunter2"))
        }
    }
}
