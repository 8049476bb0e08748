public import Foundation
import VigilCore

/// The JWT signing secret: `VIGIL_JWT_SECRET` when set, else 64 random bytes generated once and kept in a
/// file readable by the owner only (`.vigil/jwt-secret`, mode 0600). There is no built-in fallback secret.
public enum SecretFile {
    public static func jwtSecret(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 path: String = ".vigil/jwt-secret") throws -> [UInt8] {
        if let value = environment["VIGIL_JWT_SECRET"], !value.isEmpty {
            guard value.utf8.count >= 32 else {
                throw VigilError(.invalidArgument, "VIGIL_JWT_SECRET must have at least 32 characters (got \(value.utf8.count))")
            }
            return Array(value.utf8)
        }
        let manager = FileManager.default
        if let data = manager.contents(atPath: path) {
            let attributes = try manager.attributesOfItem(atPath: path)
            if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
                throw VigilError(.invalidArgument, "the JWT secret file is readable by others (mode \(String(mode, radix: 8))); "
                    + "run chmod 600 on it", subject: path)
            }
            guard data.count >= 32 else { throw VigilError(.invalidArgument, "the JWT secret file is too short", subject: path) }
            return Array(data)
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard manager.createFile(atPath: path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
            throw VigilError(.io, "cannot write the JWT secret file", subject: path)
        }
        return secret
    }
}
