/// Vigil's error: an extensible code, a message saying what happened and what to do, an optional
/// cause and the place it concerns (a file, URL or stage).
public struct VigilError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let invalidPipeline = Code("invalid_pipeline")
        public static let invalidArgument = Code("invalid_argument")
        public static let mediaOpen = Code("media_open")
        public static let mediaDecode = Code("media_decode")
        public static let unsupportedCodec = Code("unsupported_codec")
        public static let noVideoStream = Code("no_video_stream")
        public static let streamLost = Code("stream_lost")
        public static let model = Code("model")
        public static let database = Code("database")
        public static let io = Code("io")
        public static let stageFailed = Code("stage_failed")
        /// Stopped on request before it finished (a cancelled job, a stopped export).
        public static let cancelled = Code("cancelled")
    }

    public var code: Code
    public var message: String
    /// What the error is about: a file path, URL, stage id.
    public var subject: String?
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, subject: String? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code; self.message = message; self.subject = subject; self.cause = cause
    }

    public var description: String {
        var text = subject.map { "\($0): \(message)" } ?? message
        if let cause { text += " (\(cause))" }
        return text
    }
}
