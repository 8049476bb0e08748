public import Foundation
public import VigilCore
public import VigilStore
public import VigilMedia

/// The overlay video of a finished run: the source video decoded frame by frame, the run's tracks,
/// trails, zones, lines, active alerts and the time drawn on each frame in place, encoded to H.264/MP4
/// with the source's timing (the same frames at the same times).
public enum OverlayExport {
    public struct Request: Sendable {
        public var runID: Int
        public var camera: String
        /// The run's source video.
        public var source: String
        public var output: String
        public var geometry: OverlayGeometry
        public var settings: VideoWriter.Settings
        /// The camera's id when the caller knows it (the API, scoped): names are unique only within a tenant.
        public var cameraID: Int?
        public init(runID: Int, camera: String, source: String, output: String, geometry: OverlayGeometry = OverlayGeometry(),
                    settings: VideoWriter.Settings = VideoWriter.Settings()) {
            self.runID = runID; self.camera = camera; self.source = source; self.output = output
            self.geometry = geometry; self.settings = settings
        }
    }

    /// Seconds of track points read per query.
    static let chunkSeconds = 30.0

    /// Writes the overlay and returns the number of frames; `progress(done, expected)` is called as frames are encoded.
    @discardableResult
    public static func run(database: Database, request: Request, renderer: any FrameRenderer,
                           progress: @escaping @Sendable (Int, Int?) -> Void = { _, _ in }) async throws -> Int {
        guard FileManager.default.fileExists(atPath: request.source) || request.source.contains("://") else {
            throw VigilError(.io, "the source video does not exist; pass the run's video with --source", subject: request.source)
        }
        let camera: Int
        if let id = request.cameraID { camera = id } else { camera = try await database.cameraIDs(named: [request.camera])[0] }
        // The camera's own origin (a job's recorded footage) over the run's.
        let runRows = try await database.rows(sql: """
            SELECT coalesce((r.time_origins ->> c.name)::timestamptz, r.time_origin)
            FROM runs r LEFT JOIN cameras c ON c.id = \(camera) WHERE r.id = \(request.runID)
            """, doing: "reading the run")
        guard let origin = runRows.first?.first?.time else {
            throw VigilError(.invalidArgument, "there is no run \(request.runID); `vigil db status` lists the runs")
        }
        let alerts = try await database.rows(sql: """
            SELECT media_time, greatest(coalesce(end_media_time, media_time), media_time + 2), message FROM events
            WHERE run_id = \(request.runID) AND camera_id = \(camera) AND alert_id IS NOT NULL ORDER BY media_time, alert_id
            """, doing: "reading the run's alerts").map { (start: $0[0].double ?? 0, end: $0[1].double ?? 0, message: $0[2].text ?? "") }

        let reader = try VideoReader(url: request.source)
        let pending = try PendingPath(path: request.output)
        let rate = reader.frameRate.map(rational)
        let writer = try VideoWriter(path: pending.temporaryPath, width: reader.width, height: reader.height, frameRate: rate,
                                     settings: request.settings)
        let expected = reader.declaredFrameCount
        var painter = OverlayPainter(geometry: request.geometry)
        var chunkEnd = -Double.infinity
        var byFrame: [Int: [OverlayObject]] = [:]
        var image: FrameImage?
        while let frame = try reader.next() {
            if frame.time >= chunkEnd {
                let start = max(0, frame.time)
                chunkEnd = start + chunkSeconds
                byFrame = try await objects(database, run: request.runID, camera: camera, from: start, to: chunkEnd)
            }
            if image == nil || image!.width != reader.frameWidth || image!.height != reader.frameHeight {
                image = FrameImage(width: reader.frameWidth, height: reader.frameHeight, format: .bgr24)
            }
            try reader.convert(into: image!)
            let active = alerts.filter { $0.start <= frame.time + 1e-6 && frame.time < $0.end }.map(\.message)
            let drawings = painter.drawings(objects: byFrame[frame.index] ?? [], time: frame.time,
                                            stamp: OverlayStamp.text(origin.addingTimeInterval(frame.time)), alerts: active,
                                            width: image!.width, height: image!.height)
            try renderer.draw(drawings, on: image!)
            try writer.write(image!, time: frame.time)
            if writer.framesWritten % 25 == 0 { progress(writer.framesWritten, expected) }
        }
        try writer.finish()
        try pending.commit()
        progress(writer.framesWritten, expected)
        return writer.framesWritten
    }

    private static func objects(_ database: Database, run: Int, camera: Int, from: Double, to: Double) async throws -> [Int: [OverlayObject]] {
        let rows = try await database.rows(sql: """
            SELECT frame_index, track_id, global_id, label, x, y, w, h FROM track_points
            WHERE run_id = \(run) AND camera_id = \(camera) AND media_time >= \(from) AND media_time < \(to)
            ORDER BY frame_index, track_id
            """, doing: "reading track points")
        var out: [Int: [OverlayObject]] = [:]
        for r in rows {
            out[r[0].int ?? -1, default: []].append(OverlayObject(
                trackID: r[1].int ?? 0, globalID: r[2].int, label: r[3].text ?? "",
                box: BoundingBox(x: r[4].double ?? 0, y: r[5].double ?? 0, width: r[6].double ?? 0, height: r[7].double ?? 0)))
        }
        return out
    }

    /// A frame rate as a fraction: whole rates exactly, NTSC-style rates over 1001.
    static func rational(_ rate: Double) -> (num: Int, den: Int) {
        if abs(rate - rate.rounded()) < 1e-3 { return (Int(rate.rounded()), 1) }
        return (Int((rate * 1001).rounded()), 1001)
    }
}
