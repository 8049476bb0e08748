public import Foundation
public import VigilStore
import VigilCore

/// Accounts made outside the API: the first administrator (`vigil users create --role admin`) and test fixtures.
public struct AccountAdministration: Sendable {
    let database: Database
    let bcryptCost: UInt8

    public init(database: Database, bcryptCost: UInt8 = 12) {
        self.database = database
        self.bcryptCost = bcryptCost
    }

    public struct Created: Sendable {
        public var id: UUID
        public var username: String
        public var tenantID: Int
    }

    /// Creates an active account; fails with a clear error on a taken name, a bad address, a weak password.
    public func create(username: String, email: String, password: String, role: Role, tenantID: Int = 1) async throws -> Created {
        do {
            try Validate.username(username)
            try Validate.email(email)
            if let problem = Passwords.problem(with: password) { throw APIError.unprocessable(problem) }
            let passwords = try await Passwords.make(cost: bcryptCost)
            let user = try await UserRepository(database: database).create(tenantID: tenantID, username: username, email: email,
                                                                           passwordHash: try await passwords.hash(password), firstName: "", lastName: "",
                                                                           role: role, status: .active)
            return Created(id: user.id, username: user.username, tenantID: user.tenantId)
        } catch let error as APIError {
            throw VigilError(.invalidArgument, error.message)
        }
    }

    /// 20 random characters from an alphabet without look-alikes (about 114 bits).
    public static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
