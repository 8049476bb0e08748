import Foundation
public import VigilCore

/// The `jsonl` sink: one JSON object per line for every frame (with its detections and tracks),
/// event and aggregate row it receives.
///
/// ```yaml
/// sinks:
///   out:
///     type: jsonl
///     inputs: [people]
///     path: out/people.jsonl     # "-" writes to standard output
///     frames_without_objects: true
/// ```
public struct JSONLinesSinkSpec: StageSpec {
    public static let typeName = "jsonl"
    public static let role = StageRole.sink
    public static let summary = "writes frames (with detections and tracks), events and rows as JSON lines"

    public var path: String
    /// Whether frames with no detections and no tracks are written.
    public var framesWithoutObjects: Bool

    public init(config: ConfigReader) {
        path = config.requiredString("path") ?? "-"
        framesWithoutObjects = config.bool("frames_without_objects") ?? true
        config.finish()
    }

    public var inputPorts: Set<PortType> { [.frames, .events, .rows] }
    public var outputPort: PortType? { nil }

    public func preflight(context: StageContext) async throws {
        guard path != "-" else { return }
        let directory = URL(fileURLWithPath: context.resolvePath(path)).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw VigilError(.io, "cannot create the output folder: \(error.localizedDescription)", subject: directory.path)
        }
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        let target = path == "-" ? path : context.resolvePath(path)
        return try JSONLinesSink(path: target, framesWithoutObjects: framesWithoutObjects)
    }
}
