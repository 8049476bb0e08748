import Foundation
import NIOHTTP1
import Testing
import VigilServer
import VigilStore

@Suite("Health and metrics") struct HealthAndMetricsTests {
    @Test func healthReadyAndPrometheusMetrics() async throws {
        try await TestServer.with { server in
            let health = try await server.get("/health")
            #expect(health.status == 200)
            #expect(health["status"] as? String == "ok")
            let ready = try await server.get("/ready")
            #expect(ready.status == 200)
            #expect(ready["status"] as? String == "ready")
            #expect(ready["schema_version"] as? Int == ready["expected_schema_version"] as? Int)
            let admin = try await server.account("admin", role: .admin)
            #expect(try await server.get("/api/v1/cameras", token: admin.token).status == 200)
            #expect(try await server.get("/api/v1/cameras/424242", token: admin.token).status == 404)
            let metrics = try await server.get("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            let text = metrics.body
            // Requests by route and status, and latency histograms.
            #expect(text.contains(#"vigil_http_requests_total{http_route="/api/v1/cameras",http_request_method="GET",http_response_status_code="200"}"#), "\(text.prefix(3000))")
            #expect(text.contains(#"http_route="/api/v1/cameras/{id}""#) && text.contains(#"http_response_status_code="404""#))
            #expect(text.contains("vigil_http_request_duration_seconds_bucket{"))
            #expect(text.contains("# TYPE vigil_http_requests_total counter"))
        }
    }

    @Test func readyIs503WhenTheSchemaIsNotThisBuilds() async throws {
        try await TestServer.with { server in
            // Another schema version than the build's: not ready.
            try await server.database.execute(sql: "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', '')", doing: "test")
            let ready = try await server.get("/ready")
            #expect(ready.status == 503)
            #expect(ready["status"] as? String == "schema not current")
        }
    }
}
