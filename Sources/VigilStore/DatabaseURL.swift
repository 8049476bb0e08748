public import VigilCore
import Foundation

/// Where the database is, parsed from a libpq connection string: a URI
/// (`postgresql://user:secret@host:5432/vigil?sslmode=disable`, `postgres:///vigil?host=/run/pg`) or a
/// key=value list (`host=/tmp port=5433 dbname=vigil user=vigil`). Unset parts take libpq's defaults and
/// the `PG*` environment variables, as `psql` does.
public struct DatabaseURL: Hashable, Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable { case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full" }

    /// A host name, an IP address, or an absolute directory holding the unix socket.
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
                tls: TLSMode = .prefer) {
        self.host = host; self.port = port; self.user = user; self.password = password
        self.database = database; self.tls = tls
    }

    /// Whether the host is a unix-socket directory.
    public var isUnixSocket: Bool { host.hasPrefix("/") }
    /// The socket file for a unix-socket host, as libpq names it.
    public var socketPath: String { "\(host)/.s.PGSQL.\(port)" }

    /// The same server, another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// A libpq key=value string (usable by `psql`), with the password left out.
    public var libpqString: String {
        var parts = ["host=\(Self.quote(host))", "port=\(port)", "user=\(Self.quote(user))", "dbname=\(Self.quote(database))"]
        if !isUnixSocket { parts.append("sslmode=\(tls.rawValue)") }
        return parts.joined(separator: " ")
    }

    /// A URI with the password masked, for messages and logs.
    public var description: String {
        let auth = user + (password == nil ? "" : ":***")
        if isUnixSocket {
            return "postgresql://\(auth)@/\(database)?host=\(host)&port=\(port)"
        }
        return "postgresql://\(auth)@\(host):\(port)/\(database)"
    }

    /// A URI including the password, for handing to another process (`DATABASE_URL`).
    public var uri: String {
        let enc: (String) -> String = { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? $0 }
        let auth = enc(user) + (password.map { ":" + enc($0) } ?? "")
        if isUnixSocket {
            return "postgresql://\(auth)@/\(enc(database))?host=\(enc(host))&port=\(port)"
        }
        return "postgresql://\(auth)@\(host):\(port)/\(enc(database))?sslmode=\(tls.rawValue)"
    }

    private static func quote(_ value: String) -> String {
        if !value.isEmpty, !value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    // MARK: Parsing

    /// Parses a connection string. `environment` supplies `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
    /// `PGDATABASE` and `PGSSLMODE` for parts the string leaves out.
    public static func parse(_ text: String, environment: [String: String]? = nil) throws -> DatabaseURL {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var values: [String: String]
        if trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://") {
            values = try parseURI(trimmed)
        } else if trimmed.contains("=") || trimmed.isEmpty {
            values = try parseKeyValues(trimmed)
        } else {
            throw invalid(text, "expected a URI (postgresql://user:password@host:5432/dbname) or key=value pairs (host=... dbname=...)")
        }
        func value(_ key: String, _ env: String) -> String? {
            if let v = values[key], !v.isEmpty { return v }
            if let v = environment[env], !v.isEmpty { return v }
            return nil
        }
        let user = value("user", "PGUSER") ?? environment["USER"] ?? "postgres"
        let portText = value("port", "PGPORT") ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw invalid(text, "port '\(portText)' is not a number in 1...65535")
        }
        let sslText = value("sslmode", "PGSSLMODE") ?? "prefer"
        guard let tls = TLSMode(rawValue: sslText) else {
            throw invalid(text, "sslmode '\(sslText)' is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        var host = value("host", "PGHOST") ?? "/var/run/postgresql"
        // libpq accepts a list of hosts; Vigil connects to the first.
        if let comma = host.firstIndex(of: ",") { host = String(host[..<comma]) }
        return DatabaseURL(host: host, port: port, user: user, password: value("password", "PGPASSWORD"),
                           database: value("dbname", "PGDATABASE") ?? user, tls: tls)
    }

    private static func invalid(_ text: String, _ reason: String) -> VigilError {
        VigilError(.invalidArgument, "invalid database URL: \(reason)", subject: maskPassword(text))
    }

    /// The text with anything that looks like a password replaced by `***`.
    static func maskPassword(_ text: String) -> String {
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
           let colon = text[scheme.upperBound..<at].firstIndex(of: ":") {
            return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
        }
        guard let range = text.range(of: "password=") else { return text }
        let rest = text[range.upperBound...]
        let end = rest.firstIndex(of: " ") ?? rest.endIndex
        return String(text[..<range.upperBound]) + "***" + String(text[end...])
    }

    private static func parseURI(_ text: String) throws -> [String: String] {
        var rest = Substring(text[text.range(of: "://")!.upperBound...])
        var values: [String: String] = [:]
        var query = Substring("")
        if let q = rest.firstIndex(of: "?") { query = rest[rest.index(after: q)...]; rest = rest[..<q] }
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") { path = rest[rest.index(after: slash)...]; rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") {
            let auth = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = auth.firstIndex(of: ":") {
                values["user"] = decode(auth[..<colon])
                values["password"] = decode(auth[auth.index(after: colon)...])
            } else {
                values["user"] = decode(auth)
            }
        }
        if !rest.isEmpty {
            if rest.hasPrefix("[") {   // [ipv6]:port
                guard let close = rest.firstIndex(of: "]") else { throw invalid(text, "unclosed '[' in the host") }
                values["host"] = String(rest[rest.index(after: rest.startIndex)..<close])
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") { values["port"] = String(after.dropFirst()) }
            } else if let colon = rest.lastIndex(of: ":") {
                values["host"] = decode(rest[..<colon])
                values["port"] = String(rest[rest.index(after: colon)...])
            } else {
                values["host"] = decode(rest)
            }
        }
        if !path.isEmpty { values["dbname"] = decode(path) }
        for pair in query.split(separator: "&") where !pair.isEmpty {
            guard let eq = pair.firstIndex(of: "=") else { throw invalid(text, "query parameter '\(pair)' has no value") }
            values[decode(pair[..<eq])] = decode(pair[pair.index(after: eq)...])
        }
        return values
    }

    private static func decode(_ s: Substring) -> String { String(s).removingPercentEncoding ?? String(s) }

    private static func parseKeyValues(_ text: String) throws -> [String: String] {
        var values: [String: String] = [:]
        var chars = Substring(text)
        func skipSpaces() { while chars.first?.isWhitespace == true { chars.removeFirst() } }
        skipSpaces()
        while !chars.isEmpty {
            let key = chars.prefix { $0 != "=" && !$0.isWhitespace }
            chars.removeFirst(key.count)
            skipSpaces()
            guard chars.first == "=" else { throw invalid(text, "missing '=' after '\(key)'") }
            chars.removeFirst()
            skipSpaces()
            var value = ""
            if chars.first == "'" {
                chars.removeFirst()
                var closed = false
                while let c = chars.first {
                    chars.removeFirst()
                    if c == "\\", let next = chars.first { value.append(next); chars.removeFirst() }
                    else if c == "'" { closed = true; break }
                    else { value.append(c) }
                }
                guard closed else { throw invalid(text, "unterminated quoted value for '\(key)'") }
            } else {
                while let c = chars.first, !c.isWhitespace {
                    chars.removeFirst()
                    if c == "\\", let next = chars.first { value.append(next); chars.removeFirst() } else { value.append(c) }
                }
            }
            values[String(key)] = value
            skipSpaces()
        }
        return values
    }
}
