import Foundation
import VigilCore

/// Where and how `SMTPMailer` connects, parsed from
/// `smtp://[user:password@]host[:port][?starttls=required|opportunistic|off][&tls_verify=off]` (port 587, STARTTLS
/// opportunistic) or `smtps://[user:password@]host[:port][?tls_verify=off]` (implicit TLS, port 465).
/// Percent-encoding in the user and password is decoded. Unknown query keys and values are errors.
struct SMTPEndpoint: Sendable, Equatable {
    enum Security: String, Sendable, Equatable {
        /// TLS from the first byte (`smtps://`).
        case implicitTLS
        /// STARTTLS is used and must be offered.
        case startTLSRequired
        /// STARTTLS is used when the server offers it, plain text otherwise (credentials are then never sent).
        case startTLSOpportunistic
        /// Plain text, even when the server offers STARTTLS (local relays, tests).
        case plainText
    }

    var host: String
    var port: Int
    var security: Security
    /// Verify the server's certificate chain and name (default); `tls_verify=off` is for tests and development.
    var verifiesCertificate: Bool
    var credentials: Credentials?

    /// A user name and password; the password never appears in a description, a log line or an error.
    struct Credentials: Sendable, Equatable, CustomStringConvertible {
        var user: String
        var password: String
        var description: String { "\(user):<redacted>" }
    }

    /// The URL without credentials or options, for messages and logs: `smtp://host:587`.
    var redacted: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost):\(port)"
    }

    init(url text: String) throws {
        // The error never repeats the URL: it may hold a password.
        func invalid(_ why: String) -> VigilError {
            VigilError(.invalidArgument, "invalid SMTP URL: \(why) (expected smtp://[user:password@]host[:port]"
                       + "[?starttls=required|opportunistic|off][&tls_verify=off] or smtps://...)")
        }
        guard let components = URLComponents(string: text) else { throw invalid("it does not parse as a URL") }
        let scheme = components.scheme?.lowercased()
        guard scheme == "smtp" || scheme == "smtps" else { throw invalid("the scheme must be smtp or smtps") }
        var host = components.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw invalid("it names no host") }
        guard components.path.isEmpty || components.path == "/" else { throw invalid("it must have no path") }
        guard components.fragment == nil else { throw invalid("it must have no fragment") }
        self.host = host
        port = components.port ?? (scheme == "smtps" ? 465 : 587)
        guard (1...65535).contains(port) else { throw invalid("the port must be between 1 and 65535") }

        security = scheme == "smtps" ? .implicitTLS : .startTLSOpportunistic
        verifiesCertificate = true
        for item in components.queryItems ?? [] {
            let value = item.value?.lowercased() ?? ""
            switch item.name {
            case "starttls":
                guard scheme == "smtp" else { throw invalid("starttls applies to smtp://, smtps:// uses TLS from the start") }
                switch value {
                case "required": security = .startTLSRequired
                case "opportunistic": security = .startTLSOpportunistic
                case "off": security = .plainText
                default: throw invalid("starttls must be required, opportunistic or off, not '\(value)'")
                }
            case "tls_verify":
                switch value {
                case "on": verifiesCertificate = true
                case "off": verifiesCertificate = false
                default: throw invalid("tls_verify must be on or off, not '\(value)'")
                }
            default:
                throw invalid("unknown option '\(item.name)' (known: starttls, tls_verify)")
            }
        }

        if let user = components.user, !user.isEmpty {
            // `URLComponents.user`/`.password` decode percent-encoding.
            guard let password = components.password else { throw invalid("a user needs a password (user:password@host)") }
            credentials = Credentials(user: user, password: password)
        } else {
            credentials = nil
        }
    }
}
