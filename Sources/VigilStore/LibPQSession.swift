import VigilCore
internal import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The libpq connection as seen from its ``LibPQConnection`` thread: connects on first use, runs
/// statements and COPY in non-blocking mode, and waits on the socket with `poll` until a deadline, so no
/// call can wait forever. Owns the `PGconn` (freed by ``discard()`` or `deinit`); no libpq pointer
/// leaves this type.
final class LibPQSession {
    struct Configuration: Sendable {
        var url: DatabaseURL
        var connectTimeout: Duration
        var operationTimeout: Duration
    }

    let configuration: Configuration
    /// The job's cancellation, checked while waiting.
    var cancelFlag: CancelFlag?
    private var connection: OpaquePointer?

    init(_ configuration: Configuration) { self.configuration = configuration }

    deinit { discard() }

    /// Closes the connection (if any); the next statement connects again.
    func discard() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    // MARK: Statements

    /// Runs `sql` (one or more statements, simple query protocol) and discards any rows.
    func execute(_ sql: String) throws {
        let deadline = Deadline(after: configuration.operationTimeout)
        let conn = try connected()
        try check(PQsendQuery(conn, sql) == 1, conn, "sending a statement")
        try flush(conn, deadline)
        try drainResults(conn, deadline)
    }

    /// Runs one statement with text parameters (extended protocol) and returns its rows as text.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let deadline = Deadline(after: configuration.operationTimeout)
        let conn = try connected()
        let sent = withCStrings(parameters) { values in
            PQsendQueryParams(conn, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        try check(sent == 1, conn, "sending a statement")
        try flush(conn, deadline)
        return try drainResults(conn, deadline)
    }

    /// Runs `COPY ... FROM STDIN` and sends `chunks` as its data.
    func copy(_ sql: String, _ chunks: [UnsafeRawBufferPointer]) throws {
        let deadline = Deadline(after: configuration.operationTimeout)
        let conn = try connected()
        try check(PQsendQuery(conn, sql) == 1, conn, "sending COPY")
        try flush(conn, deadline)
        guard let result = try nextResult(conn, deadline) else {
            throw LibPQError(.protocolViolation, "the server did not answer COPY")
        }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COPY_IN else {
            let error = resultError(result, conn)
            try drainResults(conn, deadline)
            throw error
        }
        let slice = 1 << 18
        for chunk in chunks {
            var offset = 0
            while offset < chunk.count {
                let length = min(slice, chunk.count - offset)
                let pointer = chunk.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                switch PQputCopyData(conn, pointer, Int32(length)) {
                case 1: offset += length
                case 0: try wait(conn, for: .write, deadline, "sending COPY data")   // buffer full: let the socket drain
                default: throw connectionError(conn, "sending COPY data")
                }
                try flush(conn, deadline)
            }
        }
        while true {
            let ended = PQputCopyEnd(conn, nil)
            if ended == 1 { break }
            if ended < 0 { throw connectionError(conn, "ending COPY") }
            try wait(conn, for: .write, deadline, "ending COPY")
        }
        try flush(conn, deadline)
        try drainResults(conn, deadline)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back (or the connection dropped,
    /// when it is in doubt) when it throws.
    func transaction<R>(_ body: () throws -> R) throws -> R {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if let connection, PQstatus(connection) == CONNECTION_OK {
                let state = PQtransactionStatus(connection)
                if state == PQTRANS_INERROR || state == PQTRANS_INTRANS {
                    do { try execute("ROLLBACK") } catch { discard() }
                } else if state != PQTRANS_IDLE {
                    discard()   // in doubt (a command still active): start over on a new connection
                }
            } else {
                discard()
            }
            throw error
        }
    }

    // MARK: Connecting

    /// Seconds a session may sit idle inside a transaction before the server ends it (a batch's
    /// statements follow each other at once; only a stalled client waits this long).
    static let idleInTransactionTimeout = 30

    /// The open connection, connecting first when there is none or it is unusable.
    func connected() throws -> OpaquePointer {
        try throwIfCancelled()
        if let connection {
            if PQstatus(connection) == CONNECTION_OK { return connection }
            discard()
        }
        let url = configuration.url
        var parameters: [(String, String)] = [
            ("host", url.host), ("port", String(url.port)), ("user", url.user), ("dbname", url.database),
            ("connect_timeout", String(max(2, Int(configuration.connectTimeout.components.seconds)))),
            ("client_encoding", "UTF8"), ("application_name", "vigil"),
            // A process paused inside a transaction (SIGSTOP, a frozen VM) would keep its locks for as long
            // as its socket stays open: a batch commit holds its job row FOR SHARE, so the rescue of its
            // expired lease would wait forever. PostgreSQL ends such a session after this long idle in a
            // transaction; the paused writer finds its connection gone and its lease lost when it wakes.
            ("options", "-c idle_in_transaction_session_timeout=\(Self.idleInTransactionTimeout)s"),
        ]
        if let password = url.password { parameters.append(("password", password)) }
        if !url.isUnixSocket { parameters.append(("sslmode", url.tls.rawValue)) }
        let started = withCStrings(parameters.map(\.0)) { keys in
            withCStrings(parameters.map(\.1)) { values in PQconnectStartParams(keys, values, 0) }
        }
        guard let conn = started else { throw LibPQError(.connect, "out of memory starting a connection") }
        connection = conn
        let deadline = Deadline(after: configuration.connectTimeout)
        var status = PGRES_POLLING_WRITING
        if PQstatus(conn) == CONNECTION_BAD { status = PGRES_POLLING_FAILED }
        while status != PGRES_POLLING_OK {
            if status == PGRES_POLLING_FAILED {
                let error = Self.connectError(conn, url: url)
                discard()
                throw error
            }
            do {
                try wait(conn, for: status == PGRES_POLLING_READING ? .read : .write, deadline, "connecting", timeout: configuration.connectTimeout)
            } catch var error as LibPQError where error.kind == .timeout {
                error.kind = .connect
                throw error
            }
            status = PQconnectPoll(conn)
        }
        PQsetNoticeProcessor(conn, { _, _ in }, nil)   // NOTICEs (e.g. "already exists, skipping") are not for users
        guard PQsetnonblocking(conn, 1) == 0 else {
            let error = connectionError(conn, "switching to non-blocking mode")
            discard()
            throw error
        }
        return conn
    }

    private static func connectError(_ conn: OpaquePointer, url: DatabaseURL) -> LibPQError {
        let message = errorMessage(conn)
        let lower = message.lowercased()
        if PQconnectionNeedsPassword(conn) == 1 || lower.contains("password authentication failed")
            || lower.contains("authentication failed") || lower.contains("no password supplied") {
            return LibPQError(.authentication, message, sqlState: "28P01")
        }
        if lower.contains("database \"") && lower.contains("does not exist") {
            return LibPQError(.server, message, sqlState: "3D000")
        }
        if lower.contains("role \"") && lower.contains("does not exist") {
            return LibPQError(.authentication, message, sqlState: "28000")
        }
        return LibPQError(.connect, message)
    }

    // MARK: Waiting

    func flush(_ conn: OpaquePointer, _ deadline: Deadline) throws {
        while true {
            let flushed = PQflush(conn)
            if flushed == 0 { return }
            if flushed < 0 { throw connectionError(conn, "sending") }
            // Wait until the socket takes more, reading whatever the server sends meanwhile (libpq's advice).
            let ready = try wait(conn, for: .readOrWrite, deadline, "sending")
            if ready.readable, PQconsumeInput(conn) == 0 { throw connectionError(conn, "reading") }
        }
    }

    /// The next result of the current command, or nil when it has no more.
    func nextResult(_ conn: OpaquePointer, _ deadline: Deadline) throws -> OpaquePointer? {
        while PQisBusy(conn) == 1 {
            try wait(conn, for: .read, deadline, "waiting for the server's answer")
            if PQconsumeInput(conn) == 0 { throw connectionError(conn, "reading the server's answer") }
        }
        return PQgetResult(conn)
    }

    /// Reads every result of the current command; returns the rows of the last one that had rows, throws
    /// the first error.
    @discardableResult
    func drainResults(_ conn: OpaquePointer, _ deadline: Deadline) throws -> [[String?]] {
        var rows: [[String?]] = []
        var failure: LibPQError?
        while let result = try nextResult(conn, deadline) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
                rows = Self.rows(result)
            case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                break
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                discard()   // a COPY nobody feeds: the connection cannot be reused
                throw LibPQError(.protocolViolation, "unexpected COPY in a plain statement")
            default:
                if failure == nil { failure = resultError(result, conn) }
            }
        }
        if PQstatus(conn) == CONNECTION_BAD {
            let error = failure ?? connectionError(conn, "reading the server's answer")
            discard()
            throw error
        }
        if let failure { throw failure }
        return rows
    }

    private static func rows(_ result: OpaquePointer) -> [[String?]] {
        let count = PQntuples(result), columns = PQnfields(result)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(count))
        for r in 0..<count {
            rows.append((0..<columns).map { c in PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c)) })
        }
        return rows
    }

    enum Readiness { case read, write, readOrWrite }

    /// Waits until the socket is ready, the deadline passes (the connection is dropped: its state is
    /// unknown) or the job is cancelled.
    @discardableResult
    func wait(_ conn: OpaquePointer, for readiness: Readiness, _ deadline: Deadline, _ doing: String,
                      timeout: Duration? = nil) throws -> (readable: Bool, writable: Bool) {
        let socket = PQsocket(conn)
        guard socket >= 0 else { throw connectionError(conn, doing) }
        let events: Int16 = switch readiness {
        case .read: Int16(POLLIN)
        case .write: Int16(POLLOUT)
        case .readOrWrite: Int16(POLLIN | POLLOUT)
        }
        while true {
            if isCancelled {
                discard()   // the command's outcome is unknown
                throw CancellationError()
            }
            let remaining = deadline.remainingMilliseconds
            guard remaining > 0 else {
                discard()
                let seconds = (timeout ?? configuration.operationTimeout).components.seconds
                throw LibPQError(.timeout, "no answer within \(seconds) s while \(doing)")
            }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            // Short slices so that cancellation is noticed promptly.
            let ready = poll(&descriptor, 1, Int32(min(remaining, 200)))
            if ready < 0 {
                if errno == EINTR { continue }
                let error = LibPQError(.connectionLost, "poll failed: \(String(cString: strerror(errno)))")
                discard()
                throw error
            }
            if ready == 0 { continue }
            let revents = descriptor.revents
            // Errors and hang-ups count as readable: libpq's next read reports what happened.
            let readable = revents & Int16(POLLIN | POLLERR | POLLHUP) != 0
            let writable = revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0
            return (readable, writable)
        }
    }

    private var isCancelled: Bool { cancelFlag?.isCancelled ?? false }

    private func throwIfCancelled() throws {
        if isCancelled { throw CancellationError() }
    }

    // MARK: Errors

    func check(_ ok: Bool, _ conn: OpaquePointer, _ doing: String) throws {
        if !ok { throw connectionError(conn, doing) }
    }

    /// The connection failed while `doing` something: drops it and describes why.
    func connectionError(_ conn: OpaquePointer, _ doing: String) -> LibPQError {
        let message = Self.errorMessage(conn)
        discard()
        return LibPQError(.connectionLost, message.isEmpty ? "connection lost while \(doing)" : message)
    }

    func resultError(_ result: OpaquePointer, _ conn: OpaquePointer) -> LibPQError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let state = field("C")
        let message = field("M") ?? Self.errorMessage(conn)
        if state == nil && PQstatus(conn) == CONNECTION_BAD { return LibPQError(.connectionLost, message) }
        return LibPQError(.server, message, sqlState: state, detail: field("D"))
    }

    private static func errorMessage(_ conn: OpaquePointer) -> String {
        guard let text = PQerrorMessage(conn) else { return "" }
        // libpq wraps long messages onto indented lines: a line starting in lower case continues a sentence.
        var message = ""
        for line in String(cString: text).split(whereSeparator: \.isNewline) {
            let part = line.trimmingCharacters(in: .whitespaces)
            guard !part.isEmpty else { continue }
            if !message.isEmpty { message += part.first!.isLowercase ? " " : "; " }
            message += part
        }
        return message
    }
}

/// A point in time after which a wait gives up.
struct Deadline {
    let instant: ContinuousClock.Instant
    init(after duration: Duration) { instant = ContinuousClock.now + duration }
    var remainingMilliseconds: Int {
        let left = instant - ContinuousClock.now
        return max(0, Int(left.components.seconds) * 1000 + Int(left.components.attoseconds / 1_000_000_000_000_000))
    }
}

/// A failure of the libpq connection, turned into a ``VigilError`` by ``StoreError/wrap(_:doing:url:)``.
struct LibPQError: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable { case connect, authentication, timeout, connectionLost, server, protocolViolation }
    var kind: Kind
    var message: String
    var sqlState: String?
    var detail: String?

    init(_ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil) {
        self.kind = kind; self.message = message; self.sqlState = sqlState; self.detail = detail
    }

    var description: String { message + (sqlState.map { " [SQLSTATE \($0)]" } ?? "") }
}

/// Calls `body` with a NULL-terminated-strings array of `strings` (nil stays NULL), valid during the call.
private func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { for copy in copies { free(copy) } }
    var pointers = copies.map { UnsafePointer($0) }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
