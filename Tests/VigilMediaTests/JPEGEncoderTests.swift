import Foundation
import Testing
import VigilCore
import VigilMedia
import VigilTesting

/// The server's crops: a frame of carphone_pristine.mp4 decoded, a rectangle of it encoded, and
/// ffmpeg's independent decoding of that JPEG has the rectangle's size and pixels (within JPEG's loss).
@Suite("JPEG encoder") struct JPEGEncoderTests {
    static func bytes(_ image: FrameImage, x: Int, y: Int, width: Int, height: Int) -> [UInt8] {
        var out = [UInt8]()
        image.withUnsafeBytes { raw in
            for row in y..<(y + height) {
                let start = row * image.stride + x * 3
                out += UnsafeRawBufferPointer(rebasing: raw[start..<(start + width * 3)])
            }
        }
        return out
    }

    @Test func aCropIsEncodedAsFFmpegDecodesItBack() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-jpeg-enc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reader = try VideoReader(url: try Samples.path("carphone_pristine.mp4"), options: VideoReaderOptions(start: 2))
        _ = try #require(try reader.next())
        let image = try reader.makeImage(FrameRequirement(pixelFormat: .bgr24), pool: FramePool())

        // An odd rectangle: 4:2:0 keeps even offsets and sizes (41,31 80x61 -> 40,30 80x60).
        let jpeg = try JPEGEncoder(quality: 90).encode(image, crop: BoundingBox(x: 41, y: 31, width: 80, height: 61))
        #expect(jpeg.starts(with: [0xFF, 0xD8]) && jpeg.suffix(2) == [0xFF, 0xD9])
        let path = dir + "/crop.jpg"
        try Data(jpeg).write(to: URL(fileURLWithPath: path))
        let size = try await ChildProcess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
        #expect(size.output.trimmingCharacters(in: .whitespacesAndNewlines) == "80,60")
        let decoded = try await ChildProcess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "bgr24", "-"])
        try #require(decoded.status == 0, "\(decoded.errors)")
        let theirs = [UInt8](decoded.stdout), ours = Self.bytes(image, x: 40, y: 30, width: 80, height: 60)
        try #require(theirs.count == ours.count)
        let mean = Double(zip(ours, theirs).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(ours.count)
        #expect(mean < 6, "mean absolute difference \(mean)")

        // Lower quality is smaller; a rectangle outside the picture is an error that says so.
        let whole90 = try JPEGEncoder(quality: 90).encode(image), whole30 = try JPEGEncoder(quality: 30).encode(image)
        #expect(whole30.count < whole90.count)
        #expect(throws: VigilError.self) { try JPEGEncoder().encode(image, crop: BoundingBox(x: 500, y: 500, width: 20, height: 20)) }
    }
}
