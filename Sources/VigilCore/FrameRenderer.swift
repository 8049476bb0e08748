/// A colour, in 8-bit red, green and blue.
public struct RGB: Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let red = RGB(230, 40, 40)
    public static let green = RGB(40, 200, 70)
    public static let yellow = RGB(250, 210, 30)
    public static let white = RGB(255, 255, 255)
}

/// Something to draw on a frame, in the image's pixels.
public enum Drawing: Sendable {
    case box(BoundingBox, color: RGB, thickness: Int)
    /// A zone (closed) or a line (open).
    case polyline([(x: Double, y: Double)], closed: Bool, color: RGB, thickness: Int)
    /// Text with its baseline starting at (x, y), on a dark band so it reads on any picture.
    case text(String, x: Double, y: Double, scale: Double, color: RGB)
}

/// Draws on frames and encodes them as pictures. The executable hands an implementation (OpenCV's,
/// in VigilVision) to the stages through ``StageContext/renderer``, so a family that needs evidence
/// does not link an image library itself.
public protocol FrameRenderer: Sendable {
    /// Draws in place on `image` (BGR24).
    func draw(_ drawings: [Drawing], on image: FrameImage) throws
    /// The image, or a crop of it (image pixels), as JPEG bytes.
    func jpeg(_ image: FrameImage, crop: BoundingBox?, quality: Int) throws -> [UInt8]
}
