import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// A folder of files built under a temporary name next to its target and renamed into place by
/// ``commit()`` (an earlier folder of that name is replaced); removed when the owner goes away uncommitted.
final class OutputFolder {
    private let pending: PendingPath

    var path: String { pending.path }
    var temporaryPath: String { pending.temporaryPath }

    init(path: String) throws {
        pending = try PendingPath(path: path)
        do {
            try? FileManager.default.removeItem(atPath: pending.temporaryPath)
            try FileManager.default.createDirectory(atPath: pending.temporaryPath, withIntermediateDirectories: false)
        } catch {
            throw VigilError(.io, "cannot create the output folder: \(error.localizedDescription)", subject: pending.temporaryPath)
        }
    }

    /// The path of `name` inside the folder being built.
    func file(_ name: String) -> String { temporaryPath + "/" + name }

    func commit() throws {
        var isFolder: ObjCBool = false
        let replaced = path + ".\(getpid()).old"
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw VigilError(.io, "the output must be a folder, but a file of that name exists", subject: path)
            }
            guard rename(path, replaced) == 0 else {
                throw VigilError(.io, "cannot move the earlier folder aside: \(String(cString: strerror(errno)))", subject: path)
            }
        }
        try pending.commit()
        try? FileManager.default.removeItem(atPath: replaced)
    }
}
