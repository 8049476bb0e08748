import Foundation
import Testing
import VigilCore
@testable import VigilStore
import VigilTesting
#if canImport(Glibc)
import Glibc
#endif

@Suite("libpq connection and binary COPY") struct LibPQTests {

    /// A writer paused inside a transaction (a SIGSTOPped worker holding its job row FOR SHARE mid-commit)
    /// must not hold its locks forever: every session the sink opens has the server end a transaction left
    /// idle for 30 s.
    @Test func sessionsEndTransactionsLeftIdle() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let connection = LibPQConnection(url: url)
            defer { connection.close() }
            let setting = try await connection.withSession(doing: "setting") { try $0.query("SHOW idle_in_transaction_session_timeout") }
            #expect(setting.first?.first == "\(LibPQSession.idleInTransactionTimeout)s")
        }
    }

    /// Every column type the sink writes (and float4, bool), with NULLs, through binary COPY into the real
    /// server and back as PostgreSQL renders it.
    @Test func binaryCopyRoundTripsEveryColumnType() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let connection = LibPQConnection(url: url)
            defer { connection.close() }
            var e = CopyBinaryEncoder()
            // Row 1: bounds and exact floats.
            e.int16(Int(Int16.min)); e.int32(Int(Int32.max)); e.int64(Int.min); e.float4(1.5); e.float8(0.1); e.bool(true)
            e.text("Zürich — 東京 🚶 \"quoted\" back\\slash\ttab\nline"); e.timestamp(microseconds: 1_700_000_000_040_000)
            e.jsonObject(["b": "ü \"x\"\n", "a": "\u{1}"]); e.textArray(["a,b", "\"q\"", "back\\slash", "日本", ""])
            e.endRow()
            // Row 2: NULLs where the columns allow them, empty array and object, times before 2000 and 1970.
            e.int16(Int(Int16.max)); e.int32(nil); e.int64(Int.max); e.null(); e.float8(nil); e.bool(false)
            e.text(nil); e.timestamp(microseconds: -14_182_940_500_000)
            e.jsonObject([:]); e.textArray([])
            e.endRow()
            // Row 3: special floats, NUL in text (PostgreSQL text cannot hold it: left out), the epochs.
            e.int16(-1); e.int32(Int(Int32.min)); e.int64(0); e.float4(-.infinity); e.float8(-0.0); e.bool(true)
            e.text("a\u{0}b"); e.timestamp(microseconds: 946_684_799_999_999)
            e.jsonObject(["k": "v"]); e.textArray(["x"])
            e.endRow()
            var f = CopyBinaryEncoder()
            for value in [Double.pi, 1e-300, .infinity, -.infinity, .nan, 123_456_789.123_456_78, 5e-324] {
                f.int16(0); f.int32(0); f.int64(0); f.null(); f.float8(value); f.null(); f.null(); f.timestamp(microseconds: 0)
                f.jsonObject([:]); f.textArray([])
                f.endRow()
            }
            #expect(e.rows == 3 && f.rows == 7 && e.outOfRange == nil)
            let (first, second) = (e, f)
            let rows = try await connection.withSession(doing: "round trip") { session in
                try session.execute("""
                    CREATE TABLE every (n serial, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision, b boolean,
                                        t text, ts timestamptz, j jsonb, a text[]);
                    SET TIME ZONE 'UTC'
                    """)
                let columns = ["i2", "i4", "i8", "f4", "f8", "b", "t", "ts", "j", "a"]
                try BatchWriter.copy(first, into: "every", columns, session)
                try BatchWriter.copy(second, into: "every", columns, session)
                return try session.query("""
                    SELECT i2::text, i4::text, i8::text, f4::text, f8::text, b::text, t, ts::text, j::text,
                           a::text, array_length(a, 1)::text, j ->> 'b', a[4] FROM every ORDER BY n
                    """)
            }
            #expect(rows.count == 10)
            #expect(rows[0] == ["-32768", "2147483647", "-9223372036854775808", "1.5", "0.1", "true",
                                "Zürich — 東京 🚶 \"quoted\" back\\slash\ttab\nline", "2023-11-14 22:13:20.04+00",
                                #"{"a": "\u0001", "b": "ü \"x\"\n"}"#, #"{"a,b","\"q\"","back\\slash",日本,""}"#, "5",
                                "ü \"x\"\n", "日本"])
            #expect(rows[1] == ["32767", nil, "9223372036854775807", nil, nil, "false", nil, "1969-07-20 20:17:39.5+00",
                                "{}", "{}", nil, nil, nil])
            #expect(rows[2] == ["-1", "-2147483648", "0", "-Infinity", "-0", "true", "ab", "1999-12-31 23:59:59.999999+00",
                                #"{"k": "v"}"#, "{x}", "1", nil, nil])
            #expect(rows[3...].map { $0[4] } == ["3.141592653589793", "1e-300", "Infinity", "-Infinity", "NaN",
                                                  "123456789.12345678", "5e-324"])
            #expect(rows[3][7] == "1970-01-01 00:00:00+00")
        }
    }

    @Test func integersThatDoNotFitTheirColumnAreReported() {
        var e = CopyBinaryEncoder()
        e.int32(1); e.int16(40_000); e.int32(Int(Int32.max) + 1)
        e.endRow()
        #expect(e.outOfRange?.value == 40_000)
        #expect(e.outOfRange?.bits == 16)
    }

    /// The parameter texts of the commit's statements, read back by the server.
    @Test func parameterTextsReadBackExactly() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let connection = LibPQConnection(url: url)
            defer { connection.close() }
            let row = try await connection.withSession(doing: "parameters") { session in
                try session.execute("SET TIME ZONE 'UTC'")
                return try session.query("""
                    SELECT $1::timestamptz::text, $2::timestamptz::text, ($3::text[])::text, array_length($3::text[], 1),
                           ($4::float8[])::text, ($5::int4[])::text
                    """, [SQLText.timestamp(1_700_000_000_040_000), SQLText.timestamp(-1),
                          SQLText.array(["a\"b", "c\\d", "e,f", "ü\u{0}"]), SQLText.array([0.1, -.infinity, .nan, 1e300]),
                          SQLText.array([1, nil, -3] as [Int?])]).first
            }
            #expect(row == ["2023-11-14 22:13:20.04+00", "1969-12-31 23:59:59.999999+00", #"{"a\"b","c\\d","e,f",ü}"#, "4",
                            "{0.1,-Infinity,NaN,1e+300}", "{1,NULL,-3}"])
        }
    }

    @Test func refusedConnectionIsATransientClearError() async throws {
        let port = try EmbeddedPostgres.freePort()
        let url = try DatabaseURL.parse("postgresql://vigil:secret-pw@127.0.0.1:\(port)/vigil?sslmode=disable")
        let connection = LibPQConnection(url: url)
        defer { connection.close() }
        let error = await #expect(throws: VigilError.self) {
            try await connection.withSession(doing: "testing") { try $0.query("SELECT 1") }
        }
        #expect(error?.message.contains("cannot connect to PostgreSQL while testing") == true)
        #expect(error?.description.contains("secret-pw") == false)
        #expect(error.map(StoreError.isTransient) == true)
    }

    /// A server that accepts the TCP connection and never answers: the connect deadline ends the wait.
    @Test func silentServerHitsTheConnectDeadline() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let url = try DatabaseURL.parse("postgresql://vigil@127.0.0.1:\(listener.port)/vigil?sslmode=disable")
        let connection = LibPQConnection(url: url, connectTimeout: .seconds(1))
        defer { connection.close() }
        let error = await #expect(throws: VigilError.self) {
            try await connection.withSession(doing: "testing") { try $0.query("SELECT 1") }
        }
        #expect(error?.message.contains("cannot connect to PostgreSQL while testing: no answer within 1 s while connecting") == true)
        #expect(error.map(StoreError.isTransient) == true)
    }

    /// TCP with password (wrong, then right) and the unix socket of the same server; a statement that
    /// outlives its deadline drops the connection, and the next job reconnects.
    @Test func credentialsSocketsDeadlinesAndReconnect() async throws {
        let cluster = try TestCluster()
        defer { cluster.destroy() }
        let socketURL = try cluster.start().with(database: "postgres")
        let wrong = LibPQConnection(url: try cluster.tcpURL(password: "wrong-password").with(database: "postgres"))
        defer { wrong.close() }
        let error = await #expect(throws: VigilError.self) {
            try await wrong.withSession(doing: "testing") { try $0.query("SELECT 1") }
        }
        #expect(error?.message.contains("authentication failed for user") == true)
        #expect(error?.description.contains("wrong-password") == false)
        #expect(error.map(StoreError.isTransient) == false)

        for url in [try cluster.tcpURL().with(database: "postgres"), socketURL] {
            let connection = LibPQConnection(url: url, operationTimeout: .seconds(1))
            defer { connection.close() }
            let pid = try await connection.withSession(doing: "testing") { try $0.query("SELECT pg_backend_pid()::text") }
            let timeout = await #expect(throws: VigilError.self) {
                try await connection.withSession(doing: "sleeping") { try $0.execute("SELECT pg_sleep(30)") }
            }
            #expect(timeout?.message.contains("PostgreSQL did not answer while sleeping: no answer within 1 s") == true)
            #expect(timeout.map(StoreError.isTransient) == true)
            let again = try await connection.withSession(doing: "testing") { try $0.query("SELECT pg_backend_pid()::text") }
            #expect(again.count == 1 && again != pid)
        }
    }

    @Test func cancellingTheCallerEndsTheWait() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let connection = LibPQConnection(url: url, operationTimeout: .seconds(600))
            defer { connection.close() }
            let task = Task {
                try await connection.withSession(doing: "sleeping") { try $0.execute("SELECT pg_sleep(600)") }
            }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            // The connection is usable again.
            let one = try await connection.withSession(doing: "testing") { try $0.query("SELECT 1::text") }
            #expect(one == [["1"]])
        }
    }

    @Test func serverErrorsAreFatalAndTheTransactionRollsBack() async throws {
        try await TestPostgres.withFreshDatabase { url in
            let connection = LibPQConnection(url: url)
            defer { connection.close() }
            try await connection.withSession(doing: "setting up") { try $0.execute("CREATE TABLE t (v int PRIMARY KEY)") }
            let error = await #expect(throws: VigilError.self) {
                try await connection.withSession(doing: "inserting") { session in
                    try session.transaction {
                        try session.execute("INSERT INTO t VALUES (1)")
                        try session.execute("INSERT INTO t VALUES (1)")
                    }
                }
            }
            #expect(error?.sqlState == "23505")
            #expect(error?.message.contains("PostgreSQL refused inserting") == true)
            #expect(error.map(StoreError.isTransient) == false)
            let count = try await connection.withSession(doing: "counting") { try $0.query("SELECT count(*)::text FROM t") }
            #expect(count == [["0"]])
        }
    }
}
