import Foundation
import Hummingbird
import HTTPTypes
import Logging
import VigilStore

/// `/health` (the process answers), `/ready` (the database answers and its schema is current).
struct HealthController {
    let services: ServerServices

    func register(on router: Router<AppRequestContext>) {
        router.get("health", use: health)
        router.get("ready", use: ready)
    }

    struct Status: ResponseEncodable {
        var status: String
        var database: String?
        var schemaVersion: Int?
        var expectedSchemaVersion: Int?
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Status { Status(status: "ok") }

    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Status> {
        do {
            let status = try await Migrator(database: services.database).status()
            let current = status.currentVersion == Migration.latestVersion
            return .init(status: current ? .ok : .serviceUnavailable,
                         response: Status(status: current ? "ready" : "schema not current", database: "ok", schemaVersion: status.currentVersion,
                                          expectedSchemaVersion: Migration.latestVersion))
        } catch {
            context.logger.warning("readiness check failed", metadata: ["error": "\(error)"])
            return .init(status: .serviceUnavailable, response: Status(status: "database unreachable", database: "unreachable"))
        }
    }
}
