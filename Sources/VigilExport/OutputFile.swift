import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// A file written under a temporary name in its target folder and renamed to its final name only by
/// ``commit()``: whoever looks at the final path sees nothing or the whole file, never a half one, even
/// when the writer is killed (`kill -9` leaves the `.partial` file, not the target). Owns its file
/// descriptor; an uncommitted file is removed when the owner goes away.
final class OutputFile {
    let path: String
    let temporaryPath: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var committed = false
    private static let flushBytes = 1 << 20

    /// Creates the temporary file; the target folder must exist or be creatable.
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
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw VigilError(.io, "cannot create the output file: \(String(cString: strerror(errno)))", subject: temporaryPath)
        }
        buffer.reserveCapacity(Self.flushBytes + 4096)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed { unlink(temporaryPath) }
    }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushBytes { try flush() }
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.flushBytes { try flush() }
    }

    /// Appends through `body` (no intermediate array), flushing when enough is pending.
    func append(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        if buffer.count >= Self.flushBytes { try flush() }
    }

    func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw VigilError(.io, "cannot write: \(String(cString: strerror(errno)))", subject: path)
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is pending, syncs and renames the file to its final name.
    func commit() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw VigilError(.io, "cannot sync: \(String(cString: strerror(errno)))", subject: path) }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            throw VigilError(.io, "cannot rename the finished export into place: \(String(cString: strerror(errno)))", subject: path)
        }
        committed = true
    }
}
