import Foundation
import Testing
import VigilCore
import VigilMedia

@Suite("Decoding real files")
struct DecodeTests {
    @Test("frame count equals ffprobe -count_frames; timestamps strictly increase", arguments: Samples.names)
    func frameCountAndTimestamps(name: String) async throws {
        let path = try Samples.path(name)
        let expected = try await Tools.ffprobeFrameCount(path)
        let reader = try VideoReader(url: path)
        var times: [Double] = []
        var indices: [Int] = []
        while let frame = try reader.next() {
            times.append(frame.time)
            indices.append(frame.index)
        }
        #expect(times.count == expected)
        #expect(indices == Array(0..<expected))
        #expect(times.first == 0)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "timestamps must strictly increase")
        #expect(reader.corruptPacketCount == 0)
        if let fps = reader.frameRate {   // constant-rate samples: last frame at (n - 1) / fps
            #expect(abs(times.last! - Double(expected - 1) / fps) < 0.002)
        }
    }

    @Test("pixels equal ffmpeg's bgr24 output for the same frames", arguments: [
        ("vtest.avi", [0, 137, 794]), ("bikes.mp4", [0, 101, 249]), ("carphone_pristine.mp4", [0, 59, 119]),
    ])
    func pixelsMatchFFmpeg(name: String, indices: [Int]) async throws {
        let path = try Samples.path(name)
        let reader = try VideoReader(url: path)
        let pool = FramePool()
        var ours: [Int: [UInt8]] = [:]
        while let frame = try reader.next(), frame.index <= indices.max()! {
            if indices.contains(frame.index) {
                let image = try reader.makeImage(FrameRequirement(pixelFormat: .bgr24), pool: pool)
                #expect(image.width == reader.width && image.height == reader.height)
                ours[frame.index] = image.packedBytes()
            }
        }
        for index in indices {
            let reference = await Tools.ffmpegFrame(path, index: index)
            #expect(reference.count == reader.width * reader.height * 3)
            let mine = try #require(ours[index])
            let same = mine == reference   // compared outside #expect: megabytes do not print well
            #expect(same, "frame \(index) of \(name) differs from ffmpeg's")
        }
    }

    @Test("rgb24 and gray8 at source size equal ffmpeg's -pix_fmt rgb24 / gray output")
    func otherFormatsMatchFFmpeg() async throws {
        let path = try Samples.path("bikes.mp4")
        let reader = try VideoReader(url: path)
        let pool = FramePool()
        while let frame = try reader.next(), frame.index < 40 {}
        // Frame 40 is current now.
        let rgb = try reader.makeImage(FrameRequirement(pixelFormat: .rgb24), pool: pool).packedBytes()
        let gray = try reader.makeImage(FrameRequirement(pixelFormat: .gray8), pool: pool).packedBytes()
        let sameRGB = await rgb == Tools.ffmpegFrame(path, index: 40, pixelFormat: "rgb24")
        let sameGray = await gray == Tools.ffmpegFrame(path, index: 40, pixelFormat: "gray")
        #expect(sameRGB)
        #expect(sameGray)
    }

    @Test("scaled output has the requested size and format and the same picture")
    func scaledOutput() throws {
        let path = try Samples.path("vtest.avi")
        let reader = try VideoReader(url: path)
        let pool = FramePool()
        _ = try #require(try reader.next())
        let full = try reader.makeImage(FrameRequirement(pixelFormat: .gray8), pool: pool)
        let gray = try reader.makeImage(FrameRequirement(pixelFormat: .gray8, maxWidth: 320), pool: pool)
        #expect((gray.width, gray.height, gray.format) == (320, 240, .gray8))
        #expect(gray.stride >= 320 && gray.stride % 64 == 0)
        let bgr = try reader.makeImage(FrameRequirement(pixelFormat: .bgr24, maxWidth: 400, maxHeight: 200), pool: pool)
        #expect((bgr.width, bgr.height, bgr.format) == (266, 200, .bgr24))
        #expect(bgr.packedBytes().count == 266 * 200 * 3)
        // Scaling keeps the picture: mean brightness of each quarter matches the full-size frame.
        func quarterMeans(_ image: FrameImage) -> [Double] {
            let bytes = image.packedBytes()
            var sums = [Double](repeating: 0, count: 4), counts = [Double](repeating: 0, count: 4)
            for y in 0..<image.height {
                for x in 0..<image.width {
                    let q = (y * 2 / image.height) * 2 + x * 2 / image.width
                    sums[q] += Double(bytes[y * image.width + x]); counts[q] += 1
                }
            }
            return zip(sums, counts).map { $0 / $1 }
        }
        for (a, b) in zip(quarterMeans(full), quarterMeans(gray)) { #expect(abs(a - b) < 1.5) }
    }

    @Test("pooled buffers are reused: allocations stay bounded over hundreds of frames")
    func poolStaysBounded() throws {
        let reader = try VideoReader(url: try Samples.path("vtest.avi"))
        let pool = FramePool()
        var inFlight: [FrameImage] = []   // a consumer holding the last three frames
        var frames = 0
        while try reader.next() != nil {
            inFlight.append(try reader.makeImage(FrameRequirement(pixelFormat: .bgr24, maxWidth: 384), pool: pool))
            if inFlight.count > 3 { inFlight.removeFirst() }
            frames += 1
        }
        #expect(frames == 795)
        #expect(pool.allocatedCount <= 4)
        #expect(pool.reusedCount >= frames - 4)
    }
}
