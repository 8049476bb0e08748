import Foundation
import VigilCore
import VigilStore

/// A user's own push camera (a driver's `driver-<username>`, a facial-analysis subject's `face-<username>`):
/// made on first use in the user's tenant and assigned to them, so their camera scope holds it.
struct PersonalCameraRepository: Sendable {
    let database: Database

    func camera(for user: UUID, named name: String, tenant: Int) async throws -> Int {
        try await database.transaction(doing: "preparing the user's camera") { session in
            let rows = try await session.query("""
                INSERT INTO cameras (tenant_id, name, url) VALUES ($1::int4, $2, $3)
                ON CONFLICT (tenant_id, name) DO UPDATE SET url = cameras.url RETURNING id
                """, [.int(tenant), .text(name), .text(PushedFrames.cameraURLPrefix)])
            guard let camera = rows.first?.first?.int else { throw VigilError(.database, "the user's camera was not made") }
            _ = try await session.query("""
                INSERT INTO camera_assignments (user_id, camera_id) VALUES ($1::uuid, $2::int4) ON CONFLICT DO NOTHING
                """, [.text(user.uuidString), .int(camera)])
            return camera
        }
    }
}
