/// What a user may do. Scope follows from it (see ``Scope``): `admin` everything; `supervisor` everything
/// in their tenant, user management there; `operator` their assigned cameras, starting and stopping work
/// and acknowledging alerts; `viewer` reading their assigned cameras; `driver` and `user` only their own
/// sessions and data.
public enum Role: String, Codable, Sendable, CaseIterable {
    case admin, supervisor, `operator`, viewer, driver, user

    /// Whether the role may change things on the cameras it sees.
    var writesCameras: Bool { self == .admin || self == .supervisor }
    /// Whether the role starts and stops processing on the cameras it sees.
    var runsTasks: Bool { self == .admin || self == .supervisor || self == .operator }
    /// Whether the role may push frames to the push cameras it sees (everyone but viewers, who only read).
    var pushesFrames: Bool { self != .viewer }
    /// Whether the role manages users (admin: all; supervisor: in their tenant).
    var managesUsers: Bool { self == .admin || self == .supervisor }
    /// Roles a caller of this role may give to others.
    var assignable: [Role] {
        switch self {
        case .admin: Role.allCases
        case .supervisor: [.supervisor, .operator, .viewer, .driver, .user]
        default: []
        }
    }
}

/// Account states; only `active` accounts log in and use tokens.
public enum AccountStatus: String, Codable, Sendable, CaseIterable {
    case inactive, active, deactivated, suspended
}
