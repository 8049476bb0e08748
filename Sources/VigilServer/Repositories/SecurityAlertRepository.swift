import Foundation
import VigilStore

/// A security alert: an `events` row of kind `security` that belongs to a tenant (no camera, no run), with
/// the same lifecycle columns as a pipeline alert: one row per alert, updated while it continues.
struct SecurityAlert: Codable, Sendable {
    var alertId: String
    var time: Date
    var endedAt: Date?
    var tenantId: Int?
    var rule: String
    var severity: String
    var message: String
    var value: Double?
    var attributes: JSONValue
    var acknowledged: Bool
}

struct SecurityAlertRepository: Sendable {
    let database: Database
    static let columns = "e.alert_id, e.time, e.ended_at, e.tenant_id, e.rule, e.severity, e.message, e.value, e.attributes::text, e.acknowledged"

    static func alert(_ r: Row) throws -> SecurityAlert {
        SecurityAlert(alertId: try r.text(0), time: try r.time(1), endedAt: r.optionalTime(2), tenantId: r.optionalInt(3), rule: try r.text(4),
                      severity: try r.text(5), message: try r.text(6), value: r.optionalDouble(7), attributes: r.json(8), acknowledged: try r.bool(9))
    }

    /// Raises an alert for `rule` and `key` (an account, an address), or, when one for the same key is still
    /// going (its last occurrence within `window` seconds), updates it. Returns the row and whether it is new.
    func raise(rule: String, key: String, tenantID: Int?, severity: String, message: String, value: Double,
               attributes: [String: JSONValue], window: Int) async throws -> (SecurityAlert, isNew: Bool) {
        var attributes = attributes
        attributes["key"] = .string(key)
        let json = JSONValue.object(attributes).text
        return try await database.transaction(doing: "raising a security alert") { tx in
            // One raiser at a time per key, so two failed log-ins at once cannot open two alerts.
            var lock = SQLBuilder()
            try await tx.execute("SELECT pg_advisory_xact_lock(hashtext(\(lock.bind("security:\(rule):\(key)"))))", lock.binds)
            var find = SQLBuilder()
            let open = try await tx.query("""
                SELECT e.alert_id, e.time FROM events e WHERE e.kind = 'security' AND e.rule = \(find.bind(rule))
                AND e.attributes->>'key' = \(find.bind(key)) AND coalesce(e.ended_at, e.time) > now() - interval '\(window) seconds'
                AND e.time > now() - interval '1 day' ORDER BY e.time DESC LIMIT 1
                """, find.binds)
            if let row = open.first, let id = row[0].text, let time = row[1].time {
                var up = SQLBuilder()
                let rows = try await tx.query("""
                    UPDATE events e SET phase = 'update', ended_at = now(), duration = extract(epoch FROM now() - e.time),
                        value = \(up.bind(.double(value))), peak_value = greatest(e.peak_value, \(up.bind(.double(value)))),
                        message = \(up.bind(message)), severity = \(up.bind(severity)), attributes = \(up.bind(json))::jsonb
                    WHERE e.alert_id = \(up.bind(id)) AND e.time = \(up.bind(time)) RETURNING \(Self.columns)
                    """, up.binds)
                return (try Self.alert(Row(rows[0])), false)
            }
            var ins = SQLBuilder()
            let id = "security:\(rule):\(UUID().uuidString.lowercased())"
            let rows = try await tx.query("""
                INSERT INTO events AS e (time, camera_id, run_id, media_time, rule, kind, severity, message, attributes, alert_id, phase,
                                         ended_at, duration, value, peak_value, tenant_id)
                VALUES (now(), NULL, NULL, 0, \(ins.bind(rule)), 'security', \(ins.bind(severity)), \(ins.bind(message)), \(ins.bind(json))::jsonb,
                        \(ins.bind(id)), 'start', now(), 0, \(ins.bind(.double(value))), \(ins.bind(.double(value))), \(ins.bind(tenantID.map(SQLValue.int) ?? .null)))
                RETURNING \(Self.columns)
                """, ins.binds)
            return (try Self.alert(Row(rows[0])), true)
        }
    }

    /// Alerts the caller may see: admins all, supervisors their tenant's (the controller refuses other roles).
    func list(scope: Scope, rule: String?, from: Date?, to: Date?, limit: Int) async throws -> [SecurityAlert] {
        var sql = SQLBuilder()
        var conditions = ["e.kind = 'security'"]
        if scope.role != .admin { conditions.append("e.tenant_id = \(sql.bind(scope.tenantID))") }
        if let rule { conditions.append("e.rule = \(sql.bind(rule))") }
        if let from { conditions.append("e.time >= \(sql.bind(from))") }
        if let to { conditions.append("e.time < \(sql.bind(to))") }
        let text = "SELECT \(Self.columns) FROM events e WHERE \(conditions.joined(separator: " AND ")) ORDER BY e.time DESC LIMIT \(sql.bind(limit))"
        return try await database.query(text, binding: sql.binds, doing: "reading security alerts").map { try Self.alert(Row($0)) }
    }
}
