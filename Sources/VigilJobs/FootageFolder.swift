public import Foundation
import Crypto
#if canImport(Glibc)
import Glibc
#endif
import VigilCore
public import VigilStore

/// A recording as a `new_only` job knows it: a file is the same file while its path, size, modification
/// time and content are.
public struct InputFile: Sendable, Hashable {
    public var path: String
    public var size: Int
    public var modified: Date
    /// SHA-256 of the content, hex.
    public var contentHash: String
}

/// The recordings of a folder, or of a glob in the last part of a path (`/footage/cam1/*.mp4`), in name
/// order; hidden files and subfolders are left out.
public enum FootageFolder {
    public static func list(_ pattern: String) throws -> [String] {
        var isFolder: ObjCBool = false
        let (folder, glob): (String, String?)
        if FileManager.default.fileExists(atPath: pattern, isDirectory: &isFolder), isFolder.boolValue {
            (folder, glob) = (pattern, nil)
        } else {
            let parent = (pattern as NSString).deletingLastPathComponent
            (folder, glob) = (parent.isEmpty ? "." : parent, (pattern as NSString).lastPathComponent)
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw VigilError(.io, "cannot list the footage folder: \(error.localizedDescription)", subject: folder)
        }
        return names.filter { name in
            guard !name.hasPrefix(".") else { return false }
            if let glob, fnmatch(glob, name, 0) != 0 { return false }
            var isDirectory: ObjCBool = false
            let path = (folder as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted().map { folder == "." ? $0 : (folder as NSString).appendingPathComponent($0) }
    }

    /// Size, modification time and SHA-256 of the file at `path` (read in 1 MiB pieces).
    public static func fingerprint(_ path: String) throws -> InputFile {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw VigilError(.io, "cannot read the recording: \(error.localizedDescription)", subject: path)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw VigilError(.io, "cannot open the recording", subject: path)
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            hash.update(data: chunk)
        }
        let digest = hash.finalize().map { String(format: "%02x", $0) }.joined()
        let modified = (attributes[.modificationDate] as? Date) ?? Date(timeIntervalSince1970: 0)
        return InputFile(path: path, size: (attributes[.size] as? NSNumber)?.intValue ?? 0,
                         // Microseconds, as the database keeps it, so the same file compares equal.
                         modified: Date(timeIntervalSince1970: (modified.timeIntervalSince1970 * 1e6).rounded() / 1e6),
                         contentHash: digest)
    }
}

/// The `processed_inputs` table: which recordings each `new_only` job has processed.
public struct ProcessedInputs: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    /// The files of `files` that `job` has not processed (as they are now).
    public func unprocessed(job: String, files: [InputFile]) async throws -> [InputFile] {
        guard !files.isEmpty else { return [] }
        let rows = try await database.query("""
            SELECT path, size, modified_at, content_hash FROM processed_inputs WHERE job_name = $1 AND path = ANY($2::text[])
            """, binding: [.text(job), .array(files.map(\.path))], doing: "reading the processed inputs of \(job)")
        // Times compare to the microsecond with one microsecond of slack: the client library truncates a
        // Date to microseconds when it sends it, so a time rounded here can come back 1 µs lower.
        var seen: [String: [(size: Int, micros: Int, hash: String)]] = [:]
        for row in rows {
            guard let path = row[0].text, let size = row[1].int, let modified = row[2].time, let hash = row[3].text else { continue }
            seen[path, default: []].append((size, Self.micros(modified), hash))
        }
        return files.filter { file in
            !(seen[file.path] ?? []).contains { $0.size == file.size && $0.hash == file.contentHash && abs($0.micros - Self.micros(file.modified)) <= 1 }
        }
    }

    private static func micros(_ date: Date) -> Int { Int((date.timeIntervalSince1970 * 1e6).rounded()) }

    public func record(job: String, file: InputFile, jobID: Int?) async throws {
        try await database.execute("""
            INSERT INTO processed_inputs (job_name, path, size, modified_at, content_hash, job_id)
            VALUES ($1, $2, $3::int8, $4::timestamptz, $5, $6::int8) ON CONFLICT DO NOTHING
            """, binding: [.text(job), .text(file.path), .int(file.size), .time(file.modified), .text(file.contentHash),
                           jobID.map { .int($0) } ?? .null], doing: "recording a processed input of \(job)")
    }
}
