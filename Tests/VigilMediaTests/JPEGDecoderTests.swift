import Foundation
import Testing
import VigilCore
import VigilMedia
import VigilTesting

/// The `push` source's decoder on JPEGs ffmpeg wrote from carphone_pristine.mp4: the pixels equal
/// ffmpeg's own decoding of the same file, a requirement scales them, and what is not a JPEG gets an
/// error that says so (the next image decodes).
@Suite("JPEG decoder") struct JPEGDecoderTests {
    static func jpeg(frame: Int, in dir: String) async throws -> String {
        let path = "\(dir)/frame\(frame).jpg"
        let made = try await ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-i", try Samples.path("carphone_pristine.mp4"), "-vf",
                                               "select=eq(n\\,\(frame))", "-frames:v", "1", "-q:v", "3", path])
        try #require(made.status == 0, "ffmpeg: \(made.errors)")
        return path
    }

    @Test func decodesAsFFmpegDoesScalesAndRefusesGarbage() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/vigil-jpeg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try await Self.jpeg(frame: 40, in: dir)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let reference = try await ChildProcess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "bgr24", "-"])
        try #require(reference.status == 0, "\(reference.errors)")

        let decoder = try JPEGDecoder()
        let picture = try decoder.decode(bytes, for: FrameRequirement(pixelFormat: .bgr24))
        #expect(picture.width == 176 && picture.height == 144)
        let image = try #require(picture.image)
        var ours = [UInt8]()
        image.withUnsafeBytes { raw in
            for row in 0..<image.height {
                ours += UnsafeRawBufferPointer(rebasing: raw[(row * image.stride)..<(row * image.stride + image.width * 3)])
            }
        }
        let theirs = [UInt8](reference.stdout)
        try #require(ours.count == theirs.count)
        let worst = zip(ours, theirs).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 1, "largest difference from ffmpeg's decoding: \(worst)")

        let small = try decoder.decode(bytes, for: FrameRequirement(pixelFormat: .gray8, maxWidth: 88))
        #expect(small.image?.width == 88 && small.image?.height == 72 && small.image?.format == .gray8)
        #expect(try decoder.decode(bytes, for: nil).image == nil)

        for (garbage, says) in [([UInt8](repeating: 7, count: 500), "not a JPEG"),
                                ([0xFF, 0xD8] + [UInt8](repeating: 0x11, count: 300), "could not be decoded"),
                                (Array(bytes.prefix(200)), "")] {
            do {
                _ = try decoder.decode(garbage, for: FrameRequirement())
                // A JPEG cut after its headers may decode to a grey picture; FFmpeg's decoder says nothing.
                #expect(says.isEmpty, "\(garbage.count) bytes of garbage decoded")
            } catch let error as VigilError {
                #expect(error.code == .mediaDecode)
                #expect(says.isEmpty || error.message.contains(says), "\(error)")
            }
        }
        // The decoder is fine after the garbage.
        #expect(try decoder.decode(bytes, for: FrameRequirement()).width == 176)
    }
}
