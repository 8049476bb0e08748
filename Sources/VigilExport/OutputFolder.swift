import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// A folder of files built under a temporary name next to its target and renamed into place by
/// ``commit()`` (an earlier folder of that name is replaced); removed when the owner goes away uncommitted.
final class OutputFolder {
    let path: String
    let temporaryPath: String
    private var committed = false

    init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        temporaryPath = parent + "/." + url.lastPathComponent + ".\(getpid()).partial"
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: temporaryPath)
            try FileManager.default.createDirectory(atPath: temporaryPath, withIntermediateDirectories: false)
        } catch {
            throw VigilError(.io, "cannot create the output folder: \(error.localizedDescription)", subject: temporaryPath)
        }
    }

    deinit {
        if !committed { try? FileManager.default.removeItem(atPath: temporaryPath) }
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
        guard rename(temporaryPath, path) == 0 else {
            throw VigilError(.io, "cannot rename the finished export into place: \(String(cString: strerror(errno)))", subject: path)
        }
        committed = true
        try? FileManager.default.removeItem(atPath: replaced)
    }
}
