import Foundation
public import VigilCore

/// The `preview` sink: each camera's latest frame as JPEG in PostgreSQL (`camera_frames`), as the camera saw
/// it and with its tracks drawn, at most `fps` times a second of media time; a `NOTIFY vigil_frames` per
/// frame lets any server show it (`/api/v1/media/frames/...`, the MJPEG preview). Only the newest frame
/// waits to be written: a slow database costs previews, never the pipeline's pace.
///
/// ```yaml
/// sinks:
///   preview: {type: preview, inputs: [tracks], fps: 2, quality: 75}
/// ```
public struct PreviewSinkSpec: StageSpec {
    public static let typeName = "preview"
    public static let role = StageRole.sink
    public static let summary = "keeps each camera's latest frame (raw and with its tracks) as JPEG in PostgreSQL for the API"

    /// Connection string (default: `$DATABASE_URL`, else the embedded server).
    public var url: String?
    public var fps = 2.0
    public var quality = 75

    public init(config: ConfigReader) {
        url = config.string("url")
        fps = config.double("fps", in: 0.1...30) ?? fps
        quality = config.int("quality", in: 10...100) ?? quality
        config.finish()
    }

    public var inputPorts: Set<PortType> { [.frames] }
    public var outputPort: PortType? { nil }
    public var frameRequirement: FrameRequirement? { FrameRequirement(pixelFormat: .bgr24) }

    public func preflight(context: StageContext) async throws {
        guard context.renderer != nil else { throw VigilError(.invalidArgument, "the preview sink needs a renderer (OpenCV)") }
        let url = try await StoreLocation.resolve(url, logger: context.logger)
        try await withDatabase(url, logger: context.logger, maxConnections: 1) { db in try await Migrator(database: db).requireCurrent() }
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        guard let renderer = context.renderer else { throw VigilError(.invalidArgument, "the preview sink needs a renderer (OpenCV)") }
        return PreviewSink(spec: self, context: context, renderer: renderer)
    }
}
