import Foundation
import Testing
import VigilTesting
@testable import VigilServer

/// The server's first look at a pushed frame: a JPEG ffmpeg wrote (baseline and progressive) gives its
/// size; anything cut short, damaged or not a JPEG is refused with the reason.
@Suite struct JPEGHeaderTests {
    static func ffmpegJPEG(_ extra: [String] = []) async throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.path + "/vigil-header-\(UUID().uuidString.prefix(8)).jpg"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clip = ServeProcessTests.packageRoot.appendingPathComponent("samples/carphone_pristine.mp4").path
        let made = try await ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-i", clip, "-frames:v", "1", "-q:v", "4"] + extra + [path])
        try #require(made.status == 0, "\(made.errors)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func realJPEGsGiveTheirSize() async throws {
        let baseline = try await Self.ffmpegJPEG()
        #expect(try JPEGHeader.parse(baseline) == JPEGHeader(width: 176, height: 144, components: 3, progressive: false))
        let scaled = try await Self.ffmpegJPEG(["-vf", "scale=640:480", "-pix_fmt", "yuvj444p"])
        #expect(try JPEGHeader.parse(scaled).width == 640)
        // Trailing zero padding after the end-of-image marker is tolerated.
        #expect(try JPEGHeader.parse(baseline + [0, 0, 0]).height == 144)
    }

    @Test func damagedOrForeignBytesAreRefusedWithTheReason() async throws {
        let jpeg = try await Self.ffmpegJPEG()
        func reason(_ bytes: [UInt8]) -> String {
            do { _ = try JPEGHeader.parse(bytes); return "accepted" } catch { return error.reason }
        }
        #expect(reason([]).contains("start-of-image"))
        #expect(reason(Array("<html>not a picture</html>".utf8)).contains("start-of-image"))
        #expect(reason([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 64)).contains("start-of-image"))  // PNG
        #expect(reason(Array(jpeg.dropLast(100))).contains("end-of-image"))
        #expect(reason(Array(jpeg.prefix(40))).contains("truncated"))
        #expect(reason([0xFF, 0xD8, 0xFF, 0xD9]).contains("ends before its image data"))
        #expect(reason([0xFF, 0xD8, 0x00, 0x01, 0x02]).contains("expected a marker"))
        // A frame header claiming 0 x 0 pixels.
        let sof = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x11, 0x00] as [UInt8]
        #expect(reason(sof + [0xFF, 0xD9]).contains("each side must be"))
        // Seeded random bytes after a start-of-image marker: refused, never a crash.
        var random = SplitMix(state: 13)
        for _ in 0..<200 {
            let bytes = [0xFF, 0xD8] + (0..<Int(random.next() % 400)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            #expect(reason(bytes) != "accepted")
        }
    }
}
