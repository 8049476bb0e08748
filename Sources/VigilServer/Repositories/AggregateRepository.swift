import Foundation
import VigilStore

/// One windowed row of an `aggregate` stage (`aggregates`): a measurement over one camera's window.
struct AggregateRow: Codable, Sendable {
    var id: Int
    var time: Date
    var cameraId: Int
    var runId: Int?
    var windowSeconds: Double
    var name: String
    var value: Double
    var dimensions: JSONValue
}

/// The `aggregates` table, newest first; every query joins the row's camera and the caller's scope.
struct AggregateRepository: Sendable {
    let database: Database
    static let keyset = Keyset(list: "aggregates", time: "a.time", ids: ["a.id"], descending: true)

    /// `zones` and `classes` match the row's `zone` and `class` dimensions.
    func list(_ f: ListParameters, names: [String]?, zones: [String]?, scope: Scope) async throws -> Page<AggregateRow> {
        var sql = SQLBuilder()
        var conditions = [scope.cameras("c", &sql)]
        if let cameras = f.cameras { conditions.append("a.camera_id = ANY(\(sql.bind(.array(cameras)))::int8[])") }
        if let names { conditions.append("a.name = ANY(\(sql.bind(.array(names)))::text[])") }
        if let zones { conditions.append("a.dimensions->>'zone' = ANY(\(sql.bind(.array(zones)))::text[])") }
        if let classes = f.classes { conditions.append("a.dimensions->>'class' = ANY(\(sql.bind(.array(classes)))::text[])") }
        if let run = f.runID { conditions.append("a.run_id = \(sql.bind(run))") }
        if let after = f.after { conditions.append("a.time >= \(sql.bind(after))") }
        if let before = f.before { conditions.append("a.time < \(sql.bind(before))") }
        if let cursor = f.cursor { conditions.append(Self.keyset.after(cursor, &sql)) }
        let text = """
            SELECT a.id, a.time, a.camera_id, a.run_id, a.window_seconds, a.name, a.value, a.dimensions::text, \(Self.keyset.select)
            FROM aggregates a JOIN cameras c ON c.id = a.camera_id WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(Self.keyset.orderBy) LIMIT \(sql.bind(f.limit + 1))
            """
        let rows = try await database.query(text, binding: sql.binds, doing: "listing aggregates")
        let page = try Self.keyset.page(rows, limit: f.limit) { values in
            let r = Row(values)
            return AggregateRow(id: try r.int(0), time: try r.time(1), cameraId: try r.int(2), runId: r.optionalInt(3), windowSeconds: try r.double(4),
                                name: try r.text(5), value: try r.double(6), dimensions: r.json(7))
        }
        return Page(items: page.items, nextCursor: page.next)
    }
}
