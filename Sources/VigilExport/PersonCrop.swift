public import VigilCore
import VigilMedia

/// A picture of one person: the frame of a recording at a media time, decoded and cropped around the
/// person's box with a margin, as JPEG. The server's `/media/crops` answer with it.
public enum PersonCrop {
    /// Each side of the box grows by this share of the box's size (as the alert stage's evidence crops).
    static let margin = 0.1

    /// - Parameters:
    ///   - source: the recording (a file).
    ///   - mediaTime: seconds from its start; the first frame from it (a track point's time is its frame's) is used.
    ///   - box: the person in source pixels.
    public static func jpeg(source: String, mediaTime: Double, box: BoundingBox, quality: Int = 85) throws -> [UInt8] {
        let reader = try VideoReader(url: source, options: VideoReaderOptions(start: max(0, mediaTime - 0.001), end: nil))
        guard try reader.next() != nil else {
            throw VigilError(.invalidArgument, "the recording has no frame at \(mediaTime) s", subject: source)
        }
        let image = try reader.makeImage(FrameRequirement(pixelFormat: .bgr24), pool: FramePool())
        // The frame may be decoded smaller than the source the box was measured on (it is not, today).
        let sx = Double(image.width) / Double(reader.width), sy = Double(image.height) / Double(reader.height)
        let padded = BoundingBox(x: (box.x - box.width * margin) * sx, y: (box.y - box.height * margin) * sy,
                                 width: box.width * (1 + 2 * margin) * sx, height: box.height * (1 + 2 * margin) * sy)
        return try JPEGEncoder(quality: quality).encode(image, crop: padded)
    }
}
