import VigilCore
import Foundation
public import Logging
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster in a directory (by default `.vigil/postgres`), run with the installed
/// server's `initdb` and `pg_ctl`: unix socket in the directory, TCP on 127.0.0.1 at a free port, data
/// in `data/`. Reused across runs; ``stop()`` stops it. When Vigil runs as root the server runs as the
/// unprivileged `postgres` user (PostgreSQL refuses to run as root), which then owns the directory.
///
/// Local (socket) connections are trusted; TCP needs the password stored in `password` (mode 0600).
public struct EmbeddedPostgres: Sendable {
    public let directory: String
    public let user = "vigil"
    public let database = "vigil"
    /// Server settings given at start (`-c NAME=VALUE`), e.g. more connections for a test suite.
    public let settings: [String: String]

    public init(directory: String = ".vigil/postgres", settings: [String: String] = [:]) {
        self.directory = directory.hasPrefix("/") ? directory
            : FileManager.default.currentDirectoryPath + "/" + directory
        self.settings = settings
    }

    var dataDirectory: String { directory + "/data" }
    var logFile: String { directory + "/server.log" }
    var passwordFile: String { directory + "/password" }
    var portFile: String { directory + "/port" }

    /// The port used last time, so a restarted server keeps its URL, if nothing else took it.
    private func storedPortIfFree() throws -> Int? {
        guard let text = try? String(contentsOfFile: portFile, encoding: .utf8),
              let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return Self.isFree(port) ? port : nil
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// The directory holding `initdb`, `pg_ctl` and `postgres`: PostgreSQL 15's, the newest installed
    /// under /usr/lib/postgresql, or whatever `pg_ctl` on PATH belongs to.
    public static func binDirectory() throws -> String {
        let fm = FileManager.default
        var candidates = ["/usr/lib/postgresql/15/bin"]
        if let versions = try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in candidates where fm.isExecutableFile(atPath: dir + "/pg_ctl") && fm.isExecutableFile(atPath: dir + "/initdb") {
            return dir
        }
        throw VigilError(.database, "no PostgreSQL server found (looked for initdb and pg_ctl in /usr/lib/postgresql/*/bin "
            + "and PATH); install postgresql-15 or set DATABASE_URL to an existing server")
    }

    /// Starts the cluster (creating it on first use) unless it is running, and returns its URL.
    public func start() throws -> DatabaseURL {
        let bin = try Self.binDirectory()
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let owner = try ServerUser.current()
        try owner.own(directory)
        if socketPathTooLong {
            throw VigilError(.database, "the directory path is too long for a unix socket (max ~100 bytes); "
                + "run from a shorter path or set DATABASE_URL", subject: directory)
        }
        if !fm.fileExists(atPath: dataDirectory + "/PG_VERSION") { try initialize(bin: bin, owner: owner) }
        if let port = runningPort() { return url(port: port) }
        let port = try storedPortIfFree() ?? Self.freePort()
        try String(port).write(toFile: portFile, atomically: true, encoding: .utf8)
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1"
            + settings.keys.sorted().map { " -c \($0)=\(settings[$0]!)" }.joined()
        let result = try owner.run(bin + "/pg_ctl", ["start", "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", options])
        guard result.status == 0 else {
            let tail = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
            throw VigilError(.database, "could not start the embedded PostgreSQL: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))\n\(tail)",
                             subject: directory)
        }
        guard let running = runningPort() else {
            throw VigilError(.database, "the embedded PostgreSQL started but wrote no postmaster.pid", subject: directory)
        }
        return url(port: running)
    }

    /// Starts the cluster and creates the `vigil` database in it if missing.
    public func startAndPrepare(logger: Logger) async throws -> DatabaseURL {
        let url = try start()
        try await Self.createDatabase(url.database, on: url.with(database: "postgres"), logger: logger, ifMissing: true)
        return url
    }

    /// `CREATE DATABASE name` on the server of `url` (connected to an existing database).
    public static func createDatabase(_ name: String, on url: DatabaseURL, logger: Logger, ifMissing: Bool) async throws {
        try await withDatabase(url, logger: logger, maxConnections: 1) { db in
            try await db.withConnection(doing: "creating database \(name)") { connection in
                let rows = try await connection.query("SELECT count(*) FROM pg_database WHERE datname = \(name)", logger: logger)
                var exists = false
                for try await n in rows.decode(Int.self) { exists = n > 0 }
                if exists && ifMissing { return }
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: logger)
            }
        }
    }

    /// `DROP DATABASE name WITH (FORCE)` on the server of `url`.
    public static func dropDatabase(_ name: String, on url: DatabaseURL, logger: Logger) async throws {
        try await withDatabase(url, logger: logger, maxConnections: 1) { db in
            try await db.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"), doing: "dropping database \(name)")
        }
    }

    /// Stops the cluster if it is running (fast shutdown: running transactions roll back).
    /// Returns whether it was running.
    @discardableResult
    public func stop(mode: String = "fast") throws -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") else { return false }
        let bin = try Self.binDirectory()
        let result = try ServerUser.current().run(bin + "/pg_ctl", ["stop", "-D", dataDirectory, "-m", mode, "-w", "-t", "60"])
        guard result.status == 0 else {
            throw VigilError(.database, "could not stop the embedded PostgreSQL: \(result.output)", subject: directory)
        }
        return true
    }

    /// The URL of the running cluster, `nil` when it is not running.
    public func runningURL() -> DatabaseURL? { runningPort().map(url(port:)) }

    /// The TCP URL with the cluster's password (for tests of password handling).
    public func tcpURL(port: Int, password: String? = nil) -> DatabaseURL {
        let stored = (try? String(contentsOfFile: passwordFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return DatabaseURL(host: "127.0.0.1", port: port, user: user, password: password ?? stored, database: database, tls: .disable)
    }

    func url(port: Int) -> DatabaseURL {
        DatabaseURL(host: directory, port: port, user: user, password: nil, database: database, tls: .disable)
    }

    var socketPathTooLong: Bool { directory.utf8.count + "/.s.PGSQL.65535".utf8.count > 100 }

    private func initialize(bin: String, owner: ServerUser) throws {
        let password = Self.randomPassword()
        let fm = FileManager.default
        try? fm.removeItem(atPath: dataDirectory)
        let pwfile = directory + "/.initdb-password"
        try password.write(toFile: pwfile, atomically: true, encoding: .utf8)
        try owner.own(pwfile)
        defer { try? fm.removeItem(atPath: pwfile) }
        let result = try owner.run(bin + "/initdb", ["-D", dataDirectory, "-U", user, "--pwfile", pwfile, "-E", "UTF8",
                                                     "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256", "--no-sync"])
        guard result.status == 0 else {
            throw VigilError(.database, "initdb failed: \(result.output)", subject: directory)
        }
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
    }

    /// The port of the running server, from `postmaster.pid` (line 4), if its process is alive.
    func runningPort() -> Int? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 3, let pid = Int32(lines[0]), let port = Int(lines[3]), kill(pid, 0) == 0 else { return nil }
        return FileManager.default.fileExists(atPath: directory + "/.s.PGSQL.\(port)") ? port : nil
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw VigilError(.io, "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw VigilError(.io, "bind() failed: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw VigilError(.io, "getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

/// Who runs the server: the current user, or `postgres` when running as root.
struct ServerUser: Sendable {
    var name: String?
    var uid: uid_t
    var gid: gid_t

    static func current() throws -> ServerUser {
        guard geteuid() == 0 else { return ServerUser(name: nil, uid: geteuid(), gid: getegid()) }
        guard let pw = getpwnam("postgres") else {
            throw VigilError(.database, "running as root, but there is no 'postgres' user to run the embedded server as; "
                + "create one (useradd --system postgres) or set DATABASE_URL")
        }
        return ServerUser(name: "postgres", uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid)
    }

    /// Makes `path` belong to the server user (no-op when not root).
    func own(_ path: String) throws {
        guard name != nil else { return }
        guard chown(path, uid, gid) == 0 else {
            throw VigilError(.io, "cannot give \(path) to user \(name!): errno \(errno)", subject: path)
        }
    }

    /// This process's open file descriptors, from /proc/self/fd.
    static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    /// Runs a tool as this user, returning its exit status and combined output.
    ///
    /// Uses posix_spawn and waitpid rather than Foundation's `Process`, whose exit monitoring can hang
    /// when the tool leaves a daemon behind (`pg_ctl start`).
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let argv = (name.map { ["/usr/sbin/runuser", "-u", $0, "--", tool] } ?? [tool]) + arguments
        let outputPath = FileManager.default.temporaryDirectory.path + "/vigil-pgtool-\(UUID().uuidString)"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours may leak into the tool or the server it leaves running: an inherited pipe
        // end (another thread's child-process output, say) would never see end-of-file while it lives.
        // (glibc's addclosefrom_np is not visible to Swift; closing a descriptor that is gone is ignored.)
        for fd in Self.openDescriptors() where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard spawned == 0 else {
            throw VigilError(.io, "cannot run \(argv[0]): \(String(cString: strerror(spawned)))", subject: tool)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw VigilError(.io, "waitpid failed: errno \(errno)", subject: tool) }
        }
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        return (exitCode, String(decoding: data, as: UTF8.self))
    }
}
