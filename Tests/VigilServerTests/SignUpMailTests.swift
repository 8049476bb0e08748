import Foundation
import Testing
import VigilServer

@Suite("Sign-up over SMTP") struct SignUpMailTests {
    /// With VIGIL_SMTP_URL set, the code goes over SMTP with STARTTLS to a real receiver (aiosmtpd), and
    /// nothing is kept in the outbox.
    @Test func theCodeArrivesByMailAndActivatesTheAccount() async throws {
        let receiver = try await SMTPReceiver(["--tls", "starttls", "--require-starttls"])
        try await TestServer.with({ $0.smtpURL = "smtp://127.0.0.1:\(receiver.port)?starttls=required&tls_verify=off"; $0.mailFrom = "noreply@vigil.test" }) { server in
            let register = try await server.post("/api/v1/auth/register", ["username": "hana", "email": "hana@example.com", "password": "hana's long password"])
            #expect(register.status == 201, "\(register.body)")
            let mail = try receiver.onlyMessage()
            #expect(mail.starttls)
            #expect(mail.rcpt_tos == ["hana@example.com"])
            #expect(mail.mail_from == "noreply@vigil.test")
            let body = try #require(mail.body)
            let code = try #require(body.range(of: #"\b\d{6}\b"#, options: .regularExpression).map { String(body[$0]) })
            #expect(try await server.strings("SELECT count(*) FROM mail_outbox") == ["0"])
            #expect(try await server.post("/api/v1/auth/verify-otp", ["email": "hana@example.com", "code": code]).status == 200)
            let login = try await server.post("/api/v1/auth/login", ["username": "hana", "password": "hana's long password"])
            #expect(login.status == 200)
        }
    }
}
