import Foundation
import Logging
import Testing
import VigilConfig
import VigilCore
import VigilTesting
@testable import VigilVision

/// Where the package, its samples and its models are, and real frames read with the ffmpeg CLI.
enum TestSupport {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var fixtures: String { packageRoot + "/Tests/VigilVisionTests/Fixtures" }

    /// `samples/name` at the package root, filled by scripts/fetch-samples (which scripts/test runs;
    /// run here once if a file is missing, from `$VIGIL_MIRROR` when set, else the public addresses).
    static func sample(_ name: String) -> String {
        let path = packageRoot + "/samples/" + name
        if !FileManager.default.fileExists(atPath: path) { _ = samplesFetched }
        return path
    }

    /// Once, and only when a sample is missing (scripts/test fetches them first): blocking is acceptable.
    private static let samplesFetched: Bool = (try? ChildProcess([packageRoot + "/scripts/fetch-samples"]).wait().status) == 0

    /// The models folder (`$VIGIL_MODELS`, else `models/` at the package root), filled by
    /// scripts/fetch-models if needed (from `$VIGIL_MIRROR` when set, else the public addresses).
    static let modelsDirectory: String = {
        let directory = ProcessInfo.processInfo.environment["VIGIL_MODELS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? packageRoot + "/models"
        if !FileManager.default.fileExists(atPath: directory + "/models.yaml") {
            var environment = ProcessInfo.processInfo.environment
            environment["VIGIL_MODELS"] = directory
            _ = try? ChildProcess([packageRoot + "/scripts/fetch-models"], environment: environment).wait()
        }
        return directory
    }()

    static func registry() throws -> ModelRegistry { try ModelRegistry(directory: modelsDirectory) }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> Data {
        let result = try await ChildProcess.run([executable] + arguments, environment: environment)
        guard result.status == 0, !result.timedOut else {
            throw VigilError(.io, "\(executable) \(arguments.joined(separator: " ")) exited with \(result.status): \(result.errors)")
        }
        return result.stdout
    }

    /// Frames `range` of a video as raw BGR (or grey) images of `width` x `height` (ffmpeg scales if needed).
    static func frames(_ video: String, _ range: ClosedRange<Int>, width: Int, height: Int,
                       format: PixelFormat = .bgr24) async throws -> [FrameImage] {
        let filter = "select=between(n\\,\(range.lowerBound)\\,\(range.upperBound)),scale=\(width):\(height)"
        let data = try await run("/usr/bin/ffmpeg", ["-v", "error", "-i", video, "-vf", filter, "-vsync", "0",
                                               "-f", "rawvideo", "-pix_fmt", format == .gray8 ? "gray" : "bgr24", "-"])
        let frameBytes = width * height * format.bytesPerPixel
        return stride(from: 0, to: data.count - frameBytes + 1, by: frameBytes).map { offset in
            image(data[data.startIndex + offset ..< data.startIndex + offset + frameBytes], width: width, height: height,
                  format: format)
        }
    }

    static func frame(_ video: String, _ index: Int, width: Int, height: Int) async throws -> FrameImage {
        let all = try await frames(video, index...index, width: width, height: height)
        guard let first = all.first else { throw VigilError(.io, "no frame \(index) in \(video)") }
        return first
    }

    static func image(_ packed: Data, width: Int, height: Int, format: PixelFormat) -> FrameImage {
        let image = FrameImage(width: width, height: height, format: format)
        let rowBytes = width * format.bytesPerPixel
        packed.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            for row in 0..<height {
                (image.baseAddress + row * image.stride).copyMemory(from: src.baseAddress! + row * rowBytes, byteCount: rowBytes)
            }
        }
        return image
    }

    static func context(_ id: String = "detect", sources: [String] = ["camera"]) -> StageContext {
        StageContext(id: id, logger: Logger(label: "test"), mode: .batch, shutdown: ShutdownSignal(),
                     frameRequirement: nil, upstreamSources: sources, baseDirectory: packageRoot)
    }

    /// A detect spec read from YAML text, failing the test on any diagnostic.
    static func spec(_ yaml: String) throws -> DetectSpec {
        let sink = DiagnosticSink()
        let node = try ConfigFile.parse(yaml, file: "test.yaml")
        var spec = DetectSpec(config: ConfigReader(node, diagnostics: sink, handledKeys: ["type", "inputs"]))
        guard sink.diagnostics.isEmpty else { throw ValidationError(sink.diagnostics) }
        spec.modelsDirectory = modelsDirectory
        return spec
    }

    /// Runs a detect stage over `frames` and returns what it sent.
    static func runStage(_ spec: DetectSpec, frames: [AnnotatedFrame]) async throws -> [AnnotatedFrame] {
        let context = context()
        try await spec.preflight(context: context)
        let stage = try await spec.makeStage(context: context)
        let sink = CollectingSink()
        try await stage.run(input: .messages(frames.map(Message.frame)), output: sink.output)
        return sink.frames
    }

    static func annotated(_ image: FrameImage, index: Int, sourceWidth: Int, sourceHeight: Int,
                          source: String = "camera", fps: Double = 10) -> AnnotatedFrame {
        AnnotatedFrame(info: FrameInfo(sourceID: source, index: index, time: MediaTime(seconds: Double(index) / fps),
                                       sourceWidth: sourceWidth, sourceHeight: sourceHeight), image: image)
    }
}

/// Boxes in the reference fixture.
struct ParityFixture: Decodable {
    struct Box: Decodable { var x, y, width, height: Int; var score: Double }
    struct Frame: Decodable { var frame: Int; var boxes: [Box] }
    var frames: [Frame]

    static func load() throws -> ParityFixture {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixtures + "/parity-yolo-fastest-body.json"))
        return try JSONDecoder().decode(ParityFixture.self, from: data)
    }
}

extension ParityFixture.Box {
    var box: BoundingBox { BoundingBox(x: Double(x), y: Double(y), width: Double(width), height: Double(height)) }
}
