import Foundation

/// Writes a stage's state for ``Stage/saveState()`` and reads it back for ``Stage/resume(at:)``:
/// Foundation's binary property lists, which keep every `Double` bit for bit (infinities included) —
/// a restored tracker must predict exactly what the undisturbed one did.
public enum StateCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        do {
            return [UInt8](try encoder.encode(value))
        } catch {
            throw VigilError(.stageFailed, "cannot write down the stage's state: \(error)")
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], stage: String) throws -> T {
        do {
            return try PropertyListDecoder().decode(type, from: Data(bytes))
        } catch {
            throw VigilError(.stageFailed, "the checkpoint's state of this stage cannot be read (written by another "
                + "version of Vigil?): \(error)", subject: stage)
        }
    }
}
