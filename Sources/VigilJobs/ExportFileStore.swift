import Foundation
import Crypto
public import VigilStore
import VigilCore

/// Finished export files kept in the database (`export_files`, `export_chunks`) for the API's downloads:
/// any server instance serves what any worker wrote, with no disk shared between machines. A file goes
/// in whole or not at all (one transaction; a retried job replaces what an earlier attempt stored).
public struct ExportFileStore: Sendable {
    public let database: Database
    /// Bytes per stored piece: a download reads one piece at a time.
    public static let chunkSize = 1 << 20

    public init(database: Database) { self.database = database }

    /// Stores the file at `path` as the file of export request `request`; returns its size.
    @discardableResult
    public func store(request: Int, file path: String, contentType: String) async throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw VigilError(.io, "cannot read the finished export", subject: path)
        }
        defer { try? handle.close() }
        return try await database.transaction(doing: "storing the export file of request \(request)") { session in
            try await session.execute("DELETE FROM export_files WHERE request_id = $1::int8", [.int(request)])
            try await session.execute("""
                INSERT INTO export_files (request_id, size, chunk_size, content_type, sha256) VALUES ($1::int8, 0, $2::int4, $3, '')
                """, [.int(request), .int(Self.chunkSize), .text(contentType)])
            var digest = SHA256()
            var size = 0
            var seq = 0
            while let piece = try handle.read(upToCount: Self.chunkSize), !piece.isEmpty {
                digest.update(data: piece)
                size += piece.count
                try await session.execute("INSERT INTO export_chunks (request_id, seq, data) VALUES ($1::int8, $2::int4, $3)",
                                          [.int(request), .int(seq), .bytes(piece)])
                seq += 1
            }
            let hex = digest.finalize().map { String(format: "%02x", $0) }.joined()
            try await session.execute("UPDATE export_files SET size = $2::int8, sha256 = $3, stored_at = now() WHERE request_id = $1::int8",
                                      [.int(request), .int(size), .text(hex)])
            return size
        }
    }
}
