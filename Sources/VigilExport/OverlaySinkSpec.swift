import Foundation
public import VigilCore
public import VigilMedia

/// The `overlay` sink: the frames of a running pipeline with their tracks (boxes, track and global
/// ids, trails), the zones and lines given here, a banner per active alert and the time, encoded to
/// H.264 in MP4 at the frames' own times. The file appears at `path` when the run ends.
///
/// ```yaml
/// sinks:
///   video:
///     type: overlay
///     inputs: [alerts]            # frames (and the alert stage's events, for banners)
///     path: out/overlay.mp4
///     preset: veryfast            # libx264 preset
///     crf: 23
///     threads: 0                  # encoder threads (0: libx264 decides)
///     trail: 2s
///     zones: {walkway: [[0, 190], [560, 160], [700, 340]]}
///     lines: {crossing: [[330, 150], [330, 320]]}
/// ```
public struct OverlaySinkSpec: StageSpec {
    public static let typeName = "overlay"
    public static let role = StageRole.sink
    public static let summary = "draws tracks, trails, zones, lines and alerts on the frames and encodes them to H.264/MP4"

    public var path: String
    public var settings = VideoWriter.Settings()
    public var trailSeconds = 2.0
    public var geometry = OverlayGeometry()

    public init(config: ConfigReader) {
        path = config.requiredString("path") ?? "out/overlay.mp4"
        settings.preset = config.string("preset") ?? settings.preset
        settings.crf = config.int("crf", in: 0...51) ?? settings.crf
        settings.threads = config.int("threads", in: 0...64) ?? settings.threads
        trailSeconds = config.duration("trail") ?? trailSeconds
        geometry.zones = Self.shapes(config, "zones", minimum: 3)
        geometry.lines = Self.shapes(config, "lines", minimum: 2)
        config.finish()
    }

    private static func shapes(_ config: ConfigReader, _ key: String, minimum: Int) -> [(name: String, points: [(x: Double, y: Double)])] {
        guard let node = config.raw(key) else { return [] }
        guard case .mapping(let entries) = node.value else {
            config.error("'\(key)' must map names to lists of [x, y] points", at: node.location)
            return []
        }
        var out: [(name: String, points: [(x: Double, y: Double)])] = []
        for entry in entries {
            let name = entry.key, value = entry.value
            var points: [(x: Double, y: Double)] = []
            if case .sequence(let items) = value.value {
                for item in items {
                    if case .sequence(let xy) = item.value, xy.count == 2, case .scalar(let xs) = xy[0].value,
                       case .scalar(let ys) = xy[1].value, let x = Double(xs), let y = Double(ys) {
                        points.append((x, y))
                    }
                }
            }
            if points.count < minimum {
                config.error("'\(key).\(name)' needs at least \(minimum) points [x, y] in pixels", at: value.location)
            } else {
                out.append((name, points))
            }
        }
        return out
    }

    public var inputPorts: Set<PortType> { [.frames, .events] }
    public var outputPort: PortType? { nil }
    public var frameRequirement: FrameRequirement? { FrameRequirement(pixelFormat: .bgr24) }

    public func preflight(context: StageContext) async throws {
        guard context.renderer != nil else { throw VigilError(.invalidArgument, "the overlay sink needs a renderer (OpenCV)") }
        let directory = URL(fileURLWithPath: context.resolvePath(path)).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        guard let renderer = context.renderer else { throw VigilError(.invalidArgument, "the overlay sink needs a renderer (OpenCV)") }
        var painter = OverlayPainter(geometry: geometry)
        painter.trailSeconds = trailSeconds
        return OverlaySink(path: context.resolvePath(path), settings: settings, painter: painter, renderer: renderer)
    }
}
