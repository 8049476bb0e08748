import Foundation
import VigilStore

/// What a caller may see, turned into SQL conditions by the repositories: every read of tenant data
/// puts one of these into its `WHERE`, so rows outside the scope are never read, let alone returned.
struct Scope: Sendable {
    let userID: UUID
    let role: Role
    let tenantID: Int

    /// A scope that sees everything: for the server's own work (start-up, security rules), never for a request.
    static let system = Scope(userID: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), role: .admin, tenantID: 0)

    /// Cameras: all (admin), the tenant's (supervisor), else the ones assigned to the caller in their tenant.
    func cameras(_ camera: String, _ sql: inout SQLBuilder) -> String {
        switch role {
        case .admin: return "TRUE"
        case .supervisor: return "\(camera).tenant_id = \(sql.bind(tenantID))"
        default:
            return "(\(camera).tenant_id = \(sql.bind(tenantID)) AND EXISTS (SELECT 1 FROM camera_assignments ca "
                + "WHERE ca.camera_id = \(camera).id AND ca.user_id = \(sql.bind(userID))))"
        }
    }

    /// Environments: all (admin), the tenant's (supervisor), else those of the caller's tenant holding a camera assigned to them.
    func environments(_ environment: String, _ sql: inout SQLBuilder) -> String {
        switch role {
        case .admin: return "TRUE"
        case .supervisor: return "\(environment).tenant_id = \(sql.bind(tenantID))"
        default:
            return "(\(environment).tenant_id = \(sql.bind(tenantID)) AND EXISTS (SELECT 1 FROM cameras ec JOIN camera_assignments ca "
                + "ON ca.camera_id = ec.id WHERE ec.environment_id = \(environment).id AND ca.user_id = \(sql.bind(userID))))"
        }
    }

    /// Users: all (admin), the tenant's (supervisor), else only the caller.
    func users(_ user: String, _ sql: inout SQLBuilder) -> String {
        switch role {
        case .admin: return "TRUE"
        case .supervisor: return "\(user).tenant_id = \(sql.bind(tenantID))"
        default: return "\(user).id = \(sql.bind(userID))"
        }
    }

    /// Rows of a tenant (activity, security alerts): all (admin), the tenant's (supervisor), else the caller's own.
    func tenantRows(_ table: String, userColumn: String, _ sql: inout SQLBuilder) -> String {
        switch role {
        case .admin: return "TRUE"
        case .supervisor: return "\(table).tenant_id = \(sql.bind(tenantID))"
        default: return "\(table).\(userColumn) = \(sql.bind(userID))"
        }
    }

    /// Drivers' rows (`dms_sessions`, calibrations, configurations; `users` with `driverColumn: "id"`): all
    /// (admin), the tenant's (supervisor), a driver's own; nobody else's (operators and viewers watch
    /// cameras, not drivers).
    func drivers(_ row: String, _ sql: inout SQLBuilder, driverColumn: String = "driver_id") -> String {
        switch role {
        case .admin: return "TRUE"
        case .supervisor: return "\(row).tenant_id = \(sql.bind(tenantID))"
        case .driver: return "\(row).\(driverColumn) = \(sql.bind(userID))"
        default: return "FALSE"
        }
    }

    /// A tenant's rows as a whole, for the facility dashboard's counts (callers of role admin or supervisor
    /// only): all (admin) or `tenant` narrowed to one, else the caller's tenant.
    func tenant(_ row: String, _ sql: inout SQLBuilder, narrowedTo tenant: Int? = nil) -> String {
        if role == .admin { return tenant.map { "\(row).tenant_id = \(sql.bind($0))" } ?? "TRUE" }
        return "\(row).tenant_id = \(sql.bind(tenantID))"
    }

    /// Tenants: all (admin), else the caller's own.
    func tenants(_ tenant: String, _ sql: inout SQLBuilder) -> String {
        role == .admin ? "TRUE" : "\(tenant).id = \(sql.bind(tenantID))"
    }
}

/// Builds one parameterised statement: values go to `binds` and the text gets `$n`.
struct SQLBuilder {
    private(set) var binds: [SQLValue] = []

    mutating func bind(_ value: SQLValue) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }
    mutating func bind(_ value: Int) -> String { bind(.int(value)) }
    mutating func bind(_ value: String) -> String { bind(.text(value)) }
    mutating func bind(_ value: UUID) -> String { bind(.text(value.uuidString)) + "::uuid" }
    mutating func bind(_ value: Date) -> String { bind(.time(value)) }
}
