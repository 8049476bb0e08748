public import Foundation

/// The authenticated user of a request, from a verified access token whose user and session are still valid.
public struct Caller: Sendable {
    public let userID: UUID
    public let username: String
    public let role: Role
    public let tenantID: Int
    /// The access token's `jti`.
    public let tokenID: String
    /// The refresh-token family (session) the access token belongs to.
    public let sessionID: UUID

    /// What the caller may read, for the repositories' SQL.
    var scope: Scope { Scope(userID: userID, role: role, tenantID: tenantID) }
}
