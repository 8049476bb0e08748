import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing and checking on NIO's thread pool, never on an event loop or Swift's cooperative pool:
/// one hash at cost 12 takes a quarter of a second of CPU.
struct Passwords: Sendable {
    let cost: UInt8
    /// A hash of a random password at the same cost, checked when the account does not exist, so that a
    /// wrong user name costs as much time as a wrong password.
    private let decoy: String

    static func make(cost: UInt8) async throws -> Passwords {
        let decoy = try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.hash("decoy-\(UInt64.random(in: 0...UInt64.max))", cost: cost)
        }
        return Passwords(cost: cost, decoy: decoy)
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Checks `password` against `hash`, or against the decoy when there is no account (always false then).
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let decoy = self.decoy
        return try await NIOThreadPool.singleton.runIfActive {
            let ok = Bcrypt.verify(password, hash: hash ?? decoy)
            return ok && hash != nil
        }
    }

    /// What the API accepts as a new password, or nil.
    static func problem(with password: String) -> String? {
        if password.count < 10 { return "the password must have at least 10 characters" }
        if password.utf8.count > 72 { return "the password must have at most 72 bytes (bcrypt's limit)" }
        return nil
    }
}
