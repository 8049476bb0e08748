/// Pixel layouts a consumer can ask a source for.
public enum PixelFormat: String, Sendable, CaseIterable {
    case bgr24
    case rgb24
    case gray8

    public var bytesPerPixel: Int {
        switch self {
        case .bgr24, .rgb24: 3
        case .gray8: 1
        }
    }
}

/// What a consumer needs from the frames it receives: the source scales and converts straight to it,
/// so no consumer pays for a full-size conversion it does not use.
public struct FrameRequirement: Hashable, Sendable {
    public var pixelFormat: PixelFormat
    /// Largest width and height the consumer wants; frames are scaled down, keeping the aspect ratio,
    /// to fit. `nil` keeps the source size.
    public var maxWidth: Int?
    public var maxHeight: Int?

    public init(pixelFormat: PixelFormat = .bgr24, maxWidth: Int? = nil, maxHeight: Int? = nil) {
        self.pixelFormat = pixelFormat; self.maxWidth = maxWidth; self.maxHeight = maxHeight
    }

    /// No pixels at all: the consumers only read metadata and annotations.
    public static let none: FrameRequirement? = nil

    /// The requirement that satisfies both: the richer format and the larger size.
    public func merged(with other: FrameRequirement) -> FrameRequirement {
        let format: PixelFormat = pixelFormat == other.pixelFormat ? pixelFormat : .bgr24
        func larger(_ a: Int?, _ b: Int?) -> Int? {
            guard let a, let b else { return nil }
            return max(a, b)
        }
        return FrameRequirement(pixelFormat: format, maxWidth: larger(maxWidth, other.maxWidth),
                                maxHeight: larger(maxHeight, other.maxHeight))
    }

    /// The output size for a source of `width` x `height`: scaled down to fit, aspect kept, even sizes.
    public func outputSize(sourceWidth width: Int, sourceHeight height: Int) -> (width: Int, height: Int) {
        var scale = 1.0
        if let maxWidth, width > maxWidth { scale = min(scale, Double(maxWidth) / Double(width)) }
        if let maxHeight, height > maxHeight { scale = min(scale, Double(maxHeight) / Double(height)) }
        guard scale < 1 else { return (width, height) }
        let w = max(2, Int((Double(width) * scale).rounded()) & ~1)
        let h = max(2, Int((Double(height) * scale).rounded()) & ~1)
        return (w, h)
    }
}
