import Foundation
import Logging
import Testing
import VigilCore
import VigilMedia
import VigilTesting

/// Real sample files and the real FFmpeg command-line tools the tests compare against.
enum Samples {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let names = ["vtest.avi", "bikes.mp4", "carphone_pristine.mp4"]

    /// The samples folder at the package root, filled by scripts/fetch-samples (which scripts/test runs)
    /// when a file is missing: from `$VIGIL_MIRROR` when set, else the public addresses.
    private static let ready: Result<Void, SampleError> = {
        let dir = root.appendingPathComponent("samples")
        if names.allSatisfy({ FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }) {
            return .success(())
        }
        // Once, and only when a sample is missing (scripts/test fetches them first): blocking is acceptable.
        do {
            let result = try ChildProcess([root.appendingPathComponent("scripts/fetch-samples").path]).wait()
            if result.status == 0 { return .success(()) }
            return .failure(SampleError(message: "samples/ is incomplete and scripts/fetch-samples failed:\n" + result.errors))
        } catch {
            return .failure(SampleError(message: "samples/ is incomplete and scripts/fetch-samples could not run: \(error)"))
        }
    }()

    static func path(_ name: String) throws -> String {
        try ready.get()
        return root.appendingPathComponent("samples/\(name)").path
    }

    struct SampleError: Error, CustomStringConvertible { var message: String; var description: String { message } }
}

enum Tools {
    struct Output { var status: Int32; var stdout: Data; var stderr: Data }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async -> Output {
        do {
            let result = try await ChildProcess.run([executable] + arguments, environment: environment, directory: Samples.root.path)
            if result.timedOut { Issue.record("\(executable) did not end in time and was killed") }
            return Output(status: result.status, stdout: result.stdout, stderr: result.stderr)
        } catch {
            return Output(status: -1, stdout: Data(), stderr: Data("\(error)".utf8))
        }
    }

    /// `ffprobe -count_frames`: the number of frames FFmpeg decodes from the first video stream.
    static func ffprobeFrameCount(_ path: String) async throws -> Int {
        let out = await run("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                  "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
        let text = String(decoding: out.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try #require(Int(text), "ffprobe said '\(text)'")
    }

    /// Frame `index` as packed BGR24 bytes, converted by the ffmpeg CLI.
    static func ffmpegFrame(_ path: String, index: Int, pixelFormat: String = "bgr24") async -> [UInt8] {
        let out = await run("ffmpeg", ["-v", "error", "-nostdin", "-i", path, "-vf", "select=eq(n\\,\(index))",
                                 "-vframes", "1", "-f", "rawvideo", "-pix_fmt", pixelFormat, "-"])
        return [UInt8](out.stdout)
    }
}

func makeContext(id: String = "cam", mode: RunMode = .batch, requirement: FrameRequirement? = nil,
                 window: TimeWindow = .all, shutdown: ShutdownSignal = ShutdownSignal()) -> StageContext {
    StageContext(id: id, logger: Logger(label: "test.\(id)"), mode: mode, shutdown: shutdown,
                 frameRequirement: requirement, window: window)
}

/// Runs a `video` source to its end and returns what it sent.
func runSource(_ spec: VideoSourceSpec, context: StageContext) async throws -> CollectingSink {
    let collector = CollectingSink()
    let stage = try await spec.makeStage(context: context)
    try await stage.run(input: .empty, output: collector.output)
    return collector
}
