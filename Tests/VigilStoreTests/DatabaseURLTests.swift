import Testing
import VigilCore
import VigilStore

@Suite("DATABASE_URL") struct DatabaseURLTests {
    @Test func parsesURIs() throws {
        let url = try DatabaseURL.parse("postgresql://alice:s%40cret@db.example:6543/results?sslmode=require", environment: [:])
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "alice" && url.password == "s@cret")
        #expect(url.database == "results" && url.tls == .require)
        let socket = try DatabaseURL.parse("postgres:///vigil?host=/run/pg&port=5433&user=bob", environment: [:])
        #expect(socket.isUnixSocket && socket.socketPath == "/run/pg/.s.PGSQL.5433" && socket.user == "bob")
        #expect(!url.description.contains("cret"))
    }

    @Test func parsesKeyValueStrings() throws {
        let url = try DatabaseURL.parse("host=/tmp/x port=5500 dbname=vigil user=v password='a b\\'c'", environment: [:])
        #expect(url.host == "/tmp/x" && url.port == 5500 && url.database == "vigil" && url.password == "a b'c")
    }

    @Test func fillsFromEnvironment() throws {
        let url = try DatabaseURL.parse("", environment: ["PGHOST": "h", "PGPORT": "1234", "PGUSER": "u", "PGDATABASE": "d"])
        #expect(url.host == "h" && url.port == 1234 && url.user == "u" && url.database == "d")
    }

    @Test func rejectsNonsenseClearly() {
        #expect(throws: VigilError.self) { try DatabaseURL.parse("postgresql://u:pw@h:notaport/db", environment: [:]) }
        #expect(throws: VigilError.self) { try DatabaseURL.parse("just-a-word", environment: [:]) }
        do {
            _ = try DatabaseURL.parse("postgresql://u:topsecret@h:99999/db", environment: [:])
        } catch let error as VigilError {
            #expect(!error.description.contains("topsecret"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func splitsSQLScripts() {
        let script = """
            -- comment; not a statement
            CREATE TABLE a (x text DEFAULT 'semi;colon');
            CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$ BEGIN PERFORM 1; END $fn$;
            /* block; */ SELECT "we;ird" FROM a;
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 3)
        #expect(statements[1].hasSuffix("END $fn$"))
    }
}
