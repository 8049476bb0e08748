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

final class JSONLinesSink: Stage {
    private let handle: FileHandle
    private let ownsHandle: Bool
    private let path: String
    private let framesWithoutObjects: Bool
    private var writer = JSONWriter()
    private var pending = Data()
    /// Lines are written out when this much is pending...
    private static let flushBytes = 1 << 16
    /// ...or when this many seconds of media time have passed since the last write, so that the file
    /// of a live run (or a test waiting for lines) stays current.
    private static let flushMediaSeconds = 1.0
    private var lastFlushTime: Double?

    init(path: String, framesWithoutObjects: Bool) throws {
        self.path = path
        self.framesWithoutObjects = framesWithoutObjects
        if path == "-" {
            handle = FileHandle.standardOutput
            ownsHandle = false
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw VigilError(.io, "cannot create the output file", subject: path)
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            ownsHandle = true
        }
    }

    deinit {
        if ownsHandle { try? handle.close() }
    }

    func run(input: StageInput, output: StageOutput) async throws {
        for try await message in input {
            writer.reset()
            switch message {
            case .frame(let frame):
                guard framesWithoutObjects || !frame.detections.isEmpty || !frame.tracks.isEmpty else { continue }
                JSONLinesEncoding.encode(frame, into: &writer)
            case .event(let event):
                JSONLinesEncoding.encode(event, into: &writer)
            case .row(let row):
                JSONLinesEncoding.encode(row, into: &writer)
            }
            writer.raw("\n")
            pending.append(contentsOf: writer.text.utf8)
            let time = message.time.seconds
            if pending.count >= Self.flushBytes || time - (lastFlushTime ?? time) >= Self.flushMediaSeconds {
                try flush()
            }
            if lastFlushTime == nil || pending.isEmpty { lastFlushTime = time }
        }
        try flush()
        if ownsHandle { try handle.synchronize() }
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        do {
            try handle.write(contentsOf: pending)
        } catch {
            throw VigilError(.io, "cannot write: \(error.localizedDescription)", subject: path)
        }
        pending.removeAll(keepingCapacity: true)
    }
}
