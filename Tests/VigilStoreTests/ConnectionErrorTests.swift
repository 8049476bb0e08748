import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

@Suite("Connection failures") struct ConnectionErrorTests {
    @Test func unreachableServerIsAClearError() async throws {
        let port = try EmbeddedPostgres.freePort()
        let url = try DatabaseURL.parse("postgresql://vigil:pw@127.0.0.1:\(port)/vigil?sslmode=disable")
        let error = await #expect(throws: VigilError.self) { try await runSink([], url: url) }
        #expect(error?.code == .database)
        #expect(error?.message.contains("cannot connect") == true)
        #expect(error?.description.contains("pw") == false)
    }

    @Test func wrongPasswordIsAClearErrorAndWritesNothing() async throws {
        let cluster = try TestCluster()
        defer { cluster.destroy() }
        try cluster.start()
        let bad = try cluster.tcpURL(password: "wrong-password")
        let error = await #expect(throws: VigilError.self) { try await runSink([], url: bad) }
        #expect(error?.message.contains("authentication failed") == true)
        #expect(error?.description.contains("wrong-password") == false)
        // The right password works, and the failed attempt left no trace.
        let good = try cluster.tcpURL().with(database: "postgres")
        try await withDB(good) { (db: Database) async throws in
            #expect(try await db.scalarInt("SELECT count(*) FROM pg_tables WHERE tablename = 'runs'") == 0)
        }
    }
}
