import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// A temporary name next to a target path (`.NAME.PID.partial`, its folder created): ``commit()`` renames
/// it to the target; without a commit whatever was written there, file or folder, is removed. The one
/// rule behind ``OutputFile``, ``OutputFolder`` and writers that open files themselves (the MP4 muxer).
final class PendingPath {
    let path: String
    let temporaryPath: String
    private var committed = false

    init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw VigilError(.io, "cannot create the output folder: \(error.localizedDescription)", subject: folder)
        }
        temporaryPath = folder + "/." + url.lastPathComponent + ".\(getpid()).partial"
    }

    deinit { if !committed { try? FileManager.default.removeItem(atPath: temporaryPath) } }

    func commit() throws {
        guard rename(temporaryPath, path) == 0 else {
            throw VigilError(.io, "cannot rename the finished export into place: \(String(cString: strerror(errno)))", subject: path)
        }
        committed = true
    }
}
