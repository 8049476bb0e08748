import Foundation
import VigilCore

/// A POSIX ustar archive of a folder's regular files (what `tar -cf out.tar -C folder .` holds for a
/// flat folder): how a format that writes a folder (MOT, one file per camera) travels as one download.
/// Written by hand because the format is a 512-byte header per file and no mirrored package writes it.
public enum TarArchive {
    /// Writes the archive of `folder`'s files (sorted by name; subfolders are not expected) to `path`.
    public static func write(folder: String, to path: String) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw VigilError(.io, "cannot list the folder to archive: \(error.localizedDescription)", subject: folder)
        }
        let file = try OutputFile(path: path)
        for name in names {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            } catch {
                throw VigilError(.io, "cannot read a file to archive: \(error.localizedDescription)", subject: folder + "/" + name)
            }
            try file.write(try header(name: name, size: data.count))
            try file.write(Array(data))
            try file.write([UInt8](repeating: 0, count: (512 - data.count % 512) % 512))
        }
        try file.write([UInt8](repeating: 0, count: 1024))  // two zero blocks end the archive
        try file.commit()
    }

    /// The 512-byte ustar header of a regular file, mode 0644, owner 0, modification time 0 (the same
    /// export gives the same bytes).
    static func header(name: String, size: Int) throws -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 100 else { throw VigilError(.invalidArgument, "a file name longer than 100 bytes cannot go into the archive", subject: name) }
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) { for (i, b) in bytes.enumerated() { block[offset + i] = b } }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            Array(String(value, radix: 8).leftPadded(to: width - 1).utf8) + [0]
        }
        put(nameBytes, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)        // uid
        put(octal(0, width: 8), at: 116)        // gid
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)       // mtime
        put([UInt8](repeating: 0x20, count: 8), at: 148)  // checksum: spaces while summing
        block[156] = UInt8(ascii: "0")          // regular file
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(Array(String(sum, radix: 8).leftPadded(to: 6).utf8) + [0, 0x20], at: 148)
        return block
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
