internal import CFFmpeg

/// What a successful FFmpeg call returned: a value, or one of the two codes that are part of normal
/// operation rather than failures.
enum FFResult: Equatable {
    case value(Int32)
    /// `AVERROR(EAGAIN)`: feed more input or drain output first.
    case again
    /// `AVERROR_EOF`: the end of the stream or of the decoder's output.
    case endOfFile
}

enum FFCode {
    static let again = vigil_averror_eagain()
    static let endOfFile = vigil_averror_eof()
    static let exit = vigil_averror_exit()
    static let invalidData = vigil_averror_invaliddata()
    static let noPTS = vigil_av_nopts_value()
}

/// The one funnel for FFmpeg calls that return a status (swift-nio's `syscall(where:)`): a negative
/// return becomes a ``MediaError`` carrying FFmpeg's message; EAGAIN and EOF come back as values.
@discardableResult
func ff(_ call: StaticString, _ body: () -> Int32) throws(MediaError) -> FFResult {
    let result = body()
    if result >= 0 { return .value(result) }
    if result == FFCode.again { return .again }
    if result == FFCode.endOfFile { return .endOfFile }
    throw MediaError(code: result, message: ffErrorString(result), call: "\(call)")
}

/// FFmpeg's text for an error code.
func ffErrorString(_ code: Int32) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
        guard av_strerror(code, buffer.baseAddress, buffer.count) == 0 else { return "error \(code)" }
        return String(cString: buffer.baseAddress!)
    }
}

/// An FFmpeg allocation that returned NULL.
func ffAllocationFailed(_ call: StaticString) -> MediaError {
    MediaError(code: -12, message: "out of memory", call: "\(call)")
}
