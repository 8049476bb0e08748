public import VigilCore

extension VigilError.Code {
    /// The SMTP server could not be reached, or the connection broke.
    public static let mailConnection = VigilError.Code("mail_connection")
    /// The SMTP server did not answer in time.
    public static let mailTimeout = VigilError.Code("mail_timeout")
    /// TLS could not be set up (no STARTTLS where required, handshake or certificate failure).
    public static let mailTLS = VigilError.Code("mail_tls")
    /// The SMTP server rejected the credentials, or offers no way to send them safely.
    public static let mailAuthentication = VigilError.Code("mail_authentication")
    /// The SMTP server refused a step (sender, recipient, message) or broke the protocol.
    public static let mailRejected = VigilError.Code("mail_rejected")
}
