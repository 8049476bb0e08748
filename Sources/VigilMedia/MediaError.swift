public import VigilCore

/// A failed FFmpeg call: the negative return code, FFmpeg's own message for it and the call that
/// returned it. Travels as the ``VigilError/cause`` of the error a user sees.
public struct MediaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// FFmpeg's negative `AVERROR` code.
    public var code: Int32
    /// `av_strerror`'s text for `code`.
    public var message: String
    /// The C function that failed, e.g. `avformat_open_input`.
    public var call: String

    public init(code: Int32, message: String, call: String) {
        self.code = code; self.message = message; self.call = call
    }

    public var description: String { "\(call): \(message)" }
}

extension VigilError.Code {
    /// A file input that does not exist.
    public static let mediaNotFound = VigilError.Code("media_not_found")
    /// A file that ends before the length its container declares.
    public static let mediaTruncated = VigilError.Code("media_truncated")
    /// No packet arrived within `read_timeout`.
    public static let mediaTimeout = VigilError.Code("media_timeout")
}
