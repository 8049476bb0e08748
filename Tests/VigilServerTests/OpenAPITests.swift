import Foundation
import NIOHTTP1
import Testing
import VigilServer
import VigilTesting

/// The OpenAPI document is kept by hand next to the code; these tests prove it matches: every route is in
/// it and every operation in it is a route, and schemathesis (PyPI) fuzzes the running server against it.
@Suite("OpenAPI document") struct OpenAPITests {
    static func document() throws -> [String: Any] {
        let data = try #require(ServerResources.data("openapi.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() async throws {
        try await TestServer.with { server in
            let app = try await VigilServerApplication(configuration: .init(port: 0), database: server.database, jwtSecret: TestServer.secret,
                                                       logger: TestServer.logger)
            // The dashboard's assets are one catch-all route (`/assets/{hash}/**`), which OpenAPI cannot state; `/` is documented.
            let routes = Set(app.routes.filter { !$0.path.description.hasSuffix("**") }.map { route -> String in
                let path = route.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
                return "\(route.method.uppercased()) /\(path)"
            })
            let doc = try Self.document()
            #expect(doc["openapi"] as? String == "3.1.0")
            var documented: Set<String> = []
            for (path, item) in try #require(doc["paths"] as? [String: [String: Any]]) {
                for method in ["get", "post", "put", "patch", "delete"] where item[method] != nil { documented.insert("\(method.uppercased()) \(path)") }
            }
            #expect(routes.subtracting(documented).isEmpty, "routes missing from openapi.json: \(routes.subtracting(documented).sorted())")
            #expect(documented.subtracting(routes).isEmpty, "documented but not routed: \(documented.subtracting(routes).sorted())")
            // The document and the docs page are served.
            let served = try await server.get("/openapi.json")
            #expect(served.status == 200)
            #expect(served.headers.first(name: "Content-Type") == "application/json")
            let page = try await server.get("/docs")
            #expect(page.status == 200)
            #expect(page.body.contains("/openapi.json") && !page.body.contains("http://") && !page.body.contains("https://"))
        }
    }

    /// schemathesis against /openapi.json with an administrator's token: no 5xx, every status, content
    /// type, header and body as documented, schema-violating requests refused (`--checks all`; not checked:
    /// that every schema-valid request succeeds — an unknown e-mail is schema-valid and still a 400 —
    /// and 405 for undocumented methods, which Hummingbird answers with 404; nor response times, which
    /// tests never assert: the suite loads the machine, so the limit is the request timeout).
    @Test func schemathesisFindsNoServerErrorAndNoResponseOutsideTheDocument() async throws {
        let python = try await SMTPReceiver.python.value.get()
        let schemathesis = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("schemathesis").path
        try await TestServer.with({ $0.limits.requestsPerToken = .init(buckets: [.init(1_000_000, per: .seconds(60))]) }) { server in
            let admin = try await server.account("root", role: .admin)
            let result = try await ChildProcess([schemathesis, "run", server.base + "/openapi.json", "-H", "Authorization: Bearer \(admin.token)",
                                                 "--checks", "all", "--exclude-checks", "positive_data_acceptance,unsupported_method",
                                                 "--max-examples", "10", "--seed", "1", "--no-color",
                                                 // The suite runs in parallel: a loaded machine is slow, not wrong.
                                                 "--request-timeout", "120",
                                                 // Its response-time check (on by default, 10 s) is a time assertion: at the request timeout, it is none.
                                                 "--max-response-time", "120",
                                                 // The caller's own session must live through the run.
                                                 "--exclude-path", "/api/v1/auth/logout", "--exclude-path", "/api/v1/auth/change-password",
                                                 // An endless MJPEG stream (it ends when the client leaves): MediaAPITests reads it.
                                                 "--exclude-path", "/api/v1/media/live/{camera_id}"],
                                                environment: ProcessInfo.processInfo.environment.merging(["SCHEMATHESIS_HOOKS": ""]) { $1 })
                .exited(timeout: 600)
            let summary = result.output.split(separator: "\n").suffix(120).joined(separator: "\n")
            #expect(result.status == 0, "schemathesis failed:\n\(summary)\n\(result.errors.suffix(2000))")
            #expect(result.output.contains("passed"))
        }
    }
}
