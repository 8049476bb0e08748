import CompressNIO
import Foundation
import NIOCore

/// gzip (RFC 1952) through zlib, for the web app's assets, which are compressed once when the server starts.
enum Gzip {
    static func compress(_ data: Data) -> Data? {
        var buffer = ByteBuffer(bytes: data)
        guard let compressed = try? buffer.compress(with: .gzip()) else { return nil }
        return Data(compressed.readableBytesView)
    }
}
