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
        let cost = self.cost, material = Self.material(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(material, cost: cost) }
    }

    /// bcrypt reads at most 72 bytes: a longer password is replaced by its SHA-256 (hex, 71 bytes with the
    /// prefix), so that every byte of it counts.
    static func material(_ password: String) -> String {
        password.utf8.count <= 72 ? password : "sha256:" + OpaqueTokens.hash(password)
    }

    /// Checks `password` against `hash`, or against the decoy when there is no account (always false then).
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let decoy = self.decoy, material = Self.material(password)
        return try await NIOThreadPool.singleton.runIfActive {
            let ok = Bcrypt.verify(material, hash: hash ?? decoy)
            return ok && hash != nil
        }
    }

    /// What the API accepts as a new password, or nil.
    static func problem(with password: String) -> String? {
        if password.count < 10 { return "the password must have at least 10 characters" }
        if password.count > 1024 { return "the password must have at most 1024 characters" }
        return nil
    }
}
