// vigil-bench-detect: detector throughput on real frames, for bench/detect/run.
//
//   vigil-bench-detect infer --video V --model ID [--input-size 320] [--threads 2] [--frames N]
//       (a) inference alone: frames decoded to memory first, then prepare+forward+decode in a loop.
//   vigil-bench-detect stage --video V --model ID [--threads 2] [--gate motion] [--interval 3] [--frames N]
//       the detect stage (pipelined inference thread) fed by an ffmpeg decoder process, end to end.
// Prints one line: `<mode> frames=<n> seconds=<s> fps=<f> detections=<d>`.
import Foundation
import Logging
import VigilConfig
import VigilCore
import VigilVision

struct Arguments {
    var mode = "infer"
    var video = "samples/vtest.avi"
    var model = "yolo-fastest-1.1_body"
    var inputSize = 320
    var threads = 2
    var frames = Int.max
    var gate: String?
    var interval = 1
    var models: String?
    var streams: Int?
    /// Stage mode: frames scaled to this width by the decoder (as a source honouring a smaller
    /// frame requirement would), boxes still reported in source pixels.
    var scaleWidth: Int?

    init() {
        var args = Array(CommandLine.arguments.dropFirst())
        if let first = args.first, !first.hasPrefix("-") { mode = first; args.removeFirst() }
        while !args.isEmpty {
            let key = args.removeFirst()
            guard let value = args.first else { fatalError("missing value for \(key)") }
            args.removeFirst()
            switch key {
            case "--video": video = value
            case "--model": model = value
            case "--input-size": inputSize = Int(value)!
            case "--threads": threads = Int(value)!
            case "--frames": frames = Int(value)!
            case "--gate": gate = value
            case "--interval": interval = Int(value)!
            case "--models": models = value
            case "--streams": streams = Int(value)!
            case "--scale-width": scaleWidth = Int(value)!
            default: fatalError("unknown option \(key)")
            }
        }
    }
}

/// Raw BGR frames from the ffmpeg CLI, one at a time.
final class FFmpegFrames: @unchecked Sendable {
    let width: Int, height: Int
    /// Size of the video itself.
    let sourceWidth: Int, sourceHeight: Int
    private let process = Process()
    private let handle: FileHandle
    private let pool = FramePool()
    private(set) var count = 0
    private let limit: Int

    init(video: String, limit: Int, scaleWidth: Int? = nil) throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        probe.arguments = ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                           "-of", "csv=p=0", video]
        let out = Pipe()
        probe.standardOutput = out
        try probe.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        probe.waitUntilExit()
        let size = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
        guard size.count == 2 else { throw VigilError(.mediaOpen, "cannot probe \(video)") }
        sourceWidth = size[0]; sourceHeight = size[1]
        var filter: [String] = []
        if let scaleWidth, scaleWidth < sourceWidth {
            width = scaleWidth
            height = (sourceHeight * scaleWidth / sourceWidth) & ~1
            filter = ["-vf", "scale=\(width):\(height)"]
        } else {
            width = sourceWidth; height = sourceHeight
        }
        self.limit = limit
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error", "-threads", "1", "-i", video] + filter + ["-f", "rawvideo", "-pix_fmt", "bgr24", "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        handle = pipe.fileHandleForReading
        try process.run()
    }

    func next() -> FrameImage? {
        guard count < limit else { process.terminate(); return nil }
        let rowBytes = width * 3
        guard let data = try? handle.read(upToCount: rowBytes * height), data.count == rowBytes * height else { return nil }
        let image = pool.makeImage(width: width, height: height, format: .bgr24)
        data.withUnsafeBytes { src in
            for row in 0..<height {
                (image.baseAddress + row * image.stride).copyMemory(from: src.baseAddress! + row * rowBytes, byteCount: rowBytes)
            }
        }
        count += 1
        return image
    }
}

final class LoopResult: @unchecked Sendable {
    var detections = 0
    var error: (any Error)?
}

final class Counter: @unchecked Sendable {
    var frames = 0, detections = 0, ran = 0
}

let arguments = Arguments()
OpenCVRuntime.setThreadCount(arguments.threads)
let registry = try ModelRegistry(directory: arguments.models)

switch arguments.mode {
case "infer":
    let source = try FFmpegFrames(video: arguments.video, limit: arguments.frames)
    var images: [FrameImage] = []
    while let image = source.next() { images.append(image) }
    let configuration = try registry.configuration(for: arguments.model, inputSize: (arguments.inputSize, arguments.inputSize))
    // One network per stream, each looping over its share of the frames on its own thread with
    // threads / streams OpenCV threads: the detect stage's parallelism without anything else around it.
    let streams = max(1, arguments.streams ?? 1)
    if streams > 1 { OpenCVRuntime.setThreadCount(max(1, arguments.threads / streams)) }
    let detectors = try (0..<streams).map { _ in try DNNDetector(configuration) }
    let detector = detectors[0]
    for d in detectors { _ = try d.detect(in: images[0]) } // warm-up
    let cycle = ProcessInfo.processInfo.environment["VIGIL_BENCH_CYCLE"].flatMap(Int.init) ?? images.count
    let frames = (0..<images.count).map { images[$0 % cycle] }
    let results = (0..<streams).map { _ in LoopResult() }
    let group = DispatchGroup()
    let start = ContinuousClock.now
    for s in 0..<streams {
        group.enter()
        let share = stride(from: s, to: frames.count, by: streams).map { frames[$0] }
        let (d, result) = (detectors[s], results[s])
        Thread {
            do { for image in share { result.detections += try d.detect(in: image).count } } catch { result.error = error }
            group.leave()
        }.start()
    }
    group.wait()
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    if let error = results.compactMap(\.error).first { throw error }
    let detections = results.reduce(0) { $0 + $1.detections }
    print(String(format: "infer frames=%d seconds=%.3f fps=%.2f detections=%d streams=%d", images.count, seconds,
                 Double(images.count) / seconds, detections, streams))
    if ProcessInfo.processInfo.environment["VIGIL_BENCH_PHASES"] != nil {
        // Where the time goes: the three steps timed separately.
        var prepare = Duration.zero, forward = Duration.zero, decode = Duration.zero
        for image in images {
            let t0 = ContinuousClock.now
            try detector.prepare(image, slot: 0)
            let t1 = ContinuousClock.now
            try detector.forward(slot: 0)
            let t2 = ContinuousClock.now
            _ = try detector.decode(slot: 0)
            let t3 = ContinuousClock.now
            prepare += t1 - t0; forward += t2 - t1; decode += t3 - t2
        }
        let n = Double(images.count)
        print(String(format: "phases ms/frame: prepare=%.2f forward=%.2f decode=%.2f", prepare / .milliseconds(1) / n,
                     forward / .milliseconds(1) / n, decode / .milliseconds(1) / n))
    }

case "stage":
    var yaml = "kind: dnn\nmodel: \(arguments.model)\nconfidence: 0.35\ninput_size: \(arguments.inputSize)\nthreads: \(arguments.threads)\n"
    if let streams = arguments.streams { yaml += "streams: \(streams)\n" }
    if let gate = arguments.gate { yaml += "gate: \(gate)\nmax_interval: 25\n" }
    if arguments.interval > 1 { yaml += "interval: \(arguments.interval)\n" }
    let sink = DiagnosticSink()
    guard let root = ConfigFile.parse(yaml, file: "bench.yaml", diagnostics: sink) else { throw ValidationError(sink.diagnostics) }
    var spec = DetectSpec(config: ConfigReader(root, diagnostics: sink))
    guard sink.diagnostics.isEmpty else { throw ValidationError(sink.diagnostics) }
    spec.modelsDirectory = arguments.models
    let context = StageContext(id: "people", logger: Logger(label: "bench"), mode: .batch, shutdown: ShutdownSignal(),
                               frameRequirement: nil, upstreamSources: ["camera"])
    try await spec.preflight(context: context)
    let stage = try await spec.makeStage(context: context)
    let start = ContinuousClock.now
    let source = try FFmpegFrames(video: arguments.video, limit: arguments.frames, scaleWidth: arguments.scaleWidth)
    let counter = Counter()
    let input = StageInput {
        guard let image = source.next() else { return nil }
        let index = source.count - 1
        return .frame(AnnotatedFrame(info: FrameInfo(sourceID: "camera", index: index,
                                                     time: MediaTime(seconds: Double(index) / 10),
                                                     sourceWidth: source.sourceWidth, sourceHeight: source.sourceHeight),
                                     image: image))
    }
    let output = StageOutput { message in
        guard case .frame(let frame) = message else { return }
        counter.frames += 1
        counter.detections += frame.detections.count
        if frame.detectorRan { counter.ran += 1 }
    }
    try await stage.run(input: input, output: output)
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    print(String(format: "stage frames=%d seconds=%.3f fps=%.2f detections=%d detector_ran=%d", counter.frames, seconds,
                 Double(counter.frames) / seconds, counter.detections, counter.ran))

default:
    print("usage: vigil-bench-detect infer|stage --video V --model ID [--threads N] [--input-size S] [--gate motion] [--interval N]")
    exit(2)
}
