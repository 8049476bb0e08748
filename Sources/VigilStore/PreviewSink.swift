import Foundation
import Logging
import VigilCore

/// The running `preview` sink (see ``PreviewSinkSpec``).
final class PreviewSink: Stage {
    private let spec: PreviewSinkSpec
    private let context: StageContext
    private let renderer: any FrameRenderer
    private var scratch: FrameImage?
    private var lastPublished: [String: Double] = [:]
    private var cameras: [String: Int] = [:]

    init(spec: PreviewSinkSpec, context: StageContext, renderer: any FrameRenderer) {
        self.spec = spec
        self.context = context
        self.renderer = renderer
    }

    /// One encoded frame on its way to `camera_frames`.
    struct Preview: Sendable {
        var camera: Int
        var time: Date
        var mediaTime: Double
        var index: Int
        var width: Int
        var height: Int
        var raw: [UInt8]
        var annotated: [UInt8]
    }

    func run(input: StageInput, output: StageOutput) async throws {
        let url = try await StoreLocation.resolve(spec.url, logger: context.logger)
        try await withDatabase(url, logger: context.logger, maxConnections: 1) { database in
            let runs = RunStore(database: database)
            let tenant = try await runs.tenant(ofBoundCameras: self.context.runPolicy.cameras)
            // Only the newest frame waits: the pipeline never waits for the database.
            let (pending, queue) = AsyncStream.makeStream(of: Preview.self, bufferingPolicy: .bufferingNewest(1))
            let logger = self.context.logger
            let writer = Task {
                var failures = 0
                for await preview in pending {
                    do {
                        try await Self.write(preview, to: database)
                        failures = 0
                    } catch {
                        failures += 1
                        if failures == 1 { logger.warning("preview not written", metadata: ["error": "\(error)"]) }
                    }
                }
            }
            defer { writer.cancel() }
            for try await message in input {
                guard case .frame(let frame) = message, let image = frame.image else { continue }
                let source = frame.info.sourceID
                let time = frame.info.time.seconds
                if let last = self.lastPublished[source], time >= last, time - last < 1 / self.spec.fps { continue }
                self.lastPublished[source] = time
                if self.cameras[source] == nil {
                    let ids = try await runs.cameraIDs(for: [source: self.context.runPolicy.inputs[source]],
                                                       bound: self.context.runPolicy.cameras, tenantID: tenant)
                    self.cameras.merge(ids) { _, new in new }
                }
                guard let camera = self.cameras[source] else { continue }
                let raw = try self.renderer.jpeg(image, crop: nil, quality: self.spec.quality)
                let annotated = try self.annotate(frame, image)
                queue.yield(Preview(camera: camera, time: frame.info.captureTime ?? Date(), mediaTime: time, index: frame.info.index,
                                    width: image.width, height: image.height, raw: raw, annotated: annotated))
            }
            queue.finish()
            await writer.value
        }
    }

    /// The frame with its tracks drawn (on a copy: the image is shared with the other stages).
    private func annotate(_ frame: AnnotatedFrame, _ image: FrameImage) throws -> [UInt8] {
        if scratch == nil || scratch!.width != image.width || scratch!.height != image.height || scratch!.format != image.format {
            scratch = FrameImage(width: image.width, height: image.height, format: image.format)
        }
        let copy = scratch!
        let rowBytes = image.width * image.format.bytesPerPixel
        image.withUnsafeBytes { src in
            for row in 0..<image.height {
                (copy.baseAddress + row * copy.stride).copyMemory(from: src.baseAddress! + row * image.stride, byteCount: rowBytes)
            }
        }
        let scale = frame.imageToSourceScale
        var drawings: [Drawing] = []
        for t in frame.tracks {
            let box = BoundingBox(x: t.box.x / scale.x, y: t.box.y / scale.y, width: t.box.width / scale.x, height: t.box.height / scale.y)
            drawings.append(.box(box, color: .green, thickness: 2))
            let name = "#\(t.trackID)" + (t.globalID.map { " g\($0)" } ?? "") + " \(t.label)"
            drawings.append(.text(name, x: box.x, y: max(12, box.y - 4), scale: 0.45, color: .white))
        }
        try renderer.draw(drawings, on: copy)
        return try renderer.jpeg(copy, crop: nil, quality: spec.quality)
    }

    static func write(_ p: Preview, to database: Database) async throws {
        try await database.transaction(doing: "writing a preview frame") { session in
            try await session.execute("""
                INSERT INTO camera_frames (camera_id, time, media_time, frame_index, width, height, raw, annotated)
                VALUES ($1::int4, $2, $3::float8, $4::int8, $5::int4, $6::int4, $7, $8)
                ON CONFLICT (camera_id) DO UPDATE SET time = EXCLUDED.time, media_time = EXCLUDED.media_time,
                    frame_index = EXCLUDED.frame_index, width = EXCLUDED.width, height = EXCLUDED.height, raw = EXCLUDED.raw,
                    annotated = EXCLUDED.annotated
                """, [.int(p.camera), .time(p.time), .double(p.mediaTime), .int(p.index), .int(p.width), .int(p.height),
                      .bytes(Data(p.raw)), .bytes(Data(p.annotated))])
            try await session.execute("SELECT pg_notify('\(LiveChannels.frames)', $1)", [.text(String(p.camera))])
        }
    }
}
