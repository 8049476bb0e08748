import Foundation
import VigilCore

/// The running `jsonl` sink: buffers lines and writes them in large chunks, and at least once per
/// second of media time.
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
