/// What a pushed frame's JPEG says of itself, read from its markers (ITU T.81, B.1) without decoding
/// it: enough to refuse, at once and with a reason, what is not a whole baseline or progressive JPEG
/// (the worker's decoder judges the pixels). Written here rather than taken from a library: the
/// server has no image library and needs only the frame header, and decoding on the server would cost
/// every request the decoder's time.
struct JPEGHeader: Equatable, Sendable {
    var width: Int
    var height: Int
    var components: Int
    var progressive: Bool

    struct Invalid: Error, Equatable, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    static let maxSide = 8192

    /// Parses `bytes` up to the image data, and checks that the data ends with the end-of-image marker.
    static func parse(_ bytes: [UInt8]) throws(Invalid) -> JPEGHeader {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw Invalid(reason: "not a JPEG image: it does not start with the start-of-image marker (FF D8)")
        }
        var header: JPEGHeader?
        var i = 2
        while i < bytes.count {
            guard bytes[i] == 0xFF else { throw Invalid(reason: "damaged JPEG: expected a marker at byte \(i)") }
            while i < bytes.count, bytes[i] == 0xFF { i += 1 }   // fill bytes
            guard i < bytes.count else { break }
            let marker = bytes[i]
            i += 1
            switch marker {
            case 0x01, 0xD0...0xD7:
                continue                                        // no length
            case 0xD9:
                throw Invalid(reason: "the JPEG ends before its image data")
            default:
                break
            }
            guard i + 2 <= bytes.count else { break }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard length >= 2, i + length <= bytes.count else {
                throw Invalid(reason: "truncated JPEG: a segment at byte \(i - 2) runs past the end")
            }
            switch marker {
            case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
                guard length >= 8 else { throw Invalid(reason: "damaged JPEG: its frame header is too short") }
                let height = Int(bytes[i + 3]) << 8 | Int(bytes[i + 4])
                let width = Int(bytes[i + 5]) << 8 | Int(bytes[i + 6])
                let components = Int(bytes[i + 7])
                guard width > 0, height > 0, width <= maxSide, height <= maxSide else {
                    throw Invalid(reason: "a JPEG of \(width)x\(height) pixels: each side must be 1 to \(maxSide)")
                }
                guard components == 1 || components == 3 || components == 4 else {
                    throw Invalid(reason: "a JPEG with \(components) colour components (1, 3 or 4 are images)")
                }
                header = JPEGHeader(width: width, height: height, components: components,
                                    progressive: [0xC2, 0xC6, 0xCA, 0xCE].contains(marker))
            case 0xDA:
                guard let header else { throw Invalid(reason: "damaged JPEG: image data before any frame header") }
                // The entropy-coded data runs to the end-of-image marker.
                var end = bytes.count - 1
                while end > i, bytes[end] == 0 { end -= 1 }     // some encoders pad
                guard end > i + length, bytes[end - 1] == 0xFF, bytes[end] == 0xD9 else {
                    throw Invalid(reason: "truncated JPEG: no end-of-image marker (FF D9) after its image data")
                }
                return header
            default:
                break
            }
            i += length
        }
        throw Invalid(reason: "truncated JPEG: it ends before its image data")
    }
}
