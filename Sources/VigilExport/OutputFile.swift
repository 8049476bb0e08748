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
    private let pending: PendingPath
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private static let flushBytes = 1 << 20

    var path: String { pending.path }
    var temporaryPath: String { pending.temporaryPath }

    /// Creates the temporary file; the target folder must exist or be creatable.
    init(path: String) throws {
        pending = try PendingPath(path: path)
        descriptor = open(pending.temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw VigilError(.io, "cannot create the output file: \(String(cString: strerror(errno)))", subject: pending.temporaryPath)
        }
        buffer.reserveCapacity(Self.flushBytes + 4096)
    }

    /// Closes the descriptor; the pending path then removes an uncommitted file.
    deinit { if descriptor >= 0 { close(descriptor) } }

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
        try pending.commit()
    }
}
