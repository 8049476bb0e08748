import Foundation
import VigilCore
import VigilMedia
import VigilPipeline
import VigilTesting
import VigilWebhook

// Does a webhook whose receiver takes 10 s per request slow the frames? The same pipeline with and
// without a `webhook` sink, runs interleaved, median frames/s (source frames / run wall time) of each.
//
//   vigil-bench-webhook [RUNS] [VIDEO]      defaults: 5 runs, samples/vtest.avi
//
// Pipelines: `video` (the real decoder) -> `relay` writing an alert start/end every 5 frames -> a
// `collect` sink for the frames, plus (or not) the `webhook` sink posting the alerts to an in-process
// receiver (swift-nio on loopback) that answers each request after 10 s. The webhook's drain_timeout is
// 0s, so a run ends when the frames are done and what is still pending goes to the dead letter at once:
// the figure is what the webhook costs the frames, not how long a slow receiver is waited for.
// The same with the `synthetic` source (no decoding: frames and alerts as fast as the runtime moves
// them, an upper bound on the sink's own cost; its queue overflows to the dead letter), once more with
// `kinds: [none]` so that no event is enqueued: what is left is the sink's fixed cost (an HTTPClient
// started and shut down, the dead-letter file opened) and the events passing through its input.

let arguments = CommandLine.arguments
let runs = arguments.count > 1 ? max(1, Int(arguments[1]) ?? 5) : 5
let video = arguments.count > 2 ? arguments[2] : "samples/vtest.avi"
guard FileManager.default.fileExists(atPath: video) else {
    FileHandle.standardError.write(Data("no \(video): run scripts/fetch-samples first\n".utf8))
    exit(1)
}

let registry = StageRegistry(TestKinds.all + [VideoSourceSpec.self, WebhookSinkSpec.self])
let receiver = try await HTTPReceiver.start { _, _ in HTTPReceiver.Response(delay: 10) }
let work = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-webhook-\(getpid())").path
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }

/// `webhook`: nil for none, else extra settings of the webhook sink.
func pipeline(source: String, webhook: String?, run: Int) -> String {
    var yaml = """
    sources:
      cam:
    \(source)
    stages:
      alerts:
        type: relay
        inputs: [cam]
        event_every: 5
    sinks:
      frames:
        type: collect
        inputs: [alerts]
        log: bench-\(run)-\(UInt64.random(in: 0...UInt64.max))
    """
    if let webhook {
        yaml += """

          hook:
            type: webhook
            inputs: [alerts]
            url: \(receiver.url)
            secret: bench-secret
            dead_letter: \(work)/dead-\(run).jsonl
            drain_timeout: 0s
            \(webhook)
        """
    }
    return yaml
}

struct Measurement { var framesPerSecond: Double; var frames: Int; var seconds: Double }

func measure(_ yaml: String) async throws -> Measurement {
    let spec = try PipelineLoader(registry: registry, environment: [:]).load(text: yaml, file: "bench.yaml")
    let summary = try await PipelineRunner(spec: spec, options: RunOptions(mode: .batch)).run()
    guard summary.status == .completed else { throw VigilError(.stageFailed, "run failed: \(summary.errors)") }
    return Measurement(framesPerSecond: Double(summary.totalSourceFrames) / summary.wallSeconds,
                       frames: summary.totalSourceFrames, seconds: summary.wallSeconds)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Each source with the webhook variants measured against no webhook.
let sources: [(name: String, yaml: String, variants: [(label: String, settings: String)])] = [
    ("video \((video as NSString).lastPathComponent)", "    type: video\n    url: \(video)", [("yes", "")]),
    ("synthetic, 20000 frames", "    type: synthetic\n    frames: 20000", [
        ("yes", ""),
        ("yes, `kinds: [none]` (no event is enqueued)", "kinds: [none]"),
    ]),
]
print("| source | webhook (receiver: 10 s per request) | median frames/s | runs (frames/s) |")
print("| --- | --- | ---: | --- |")
var lines: [String] = []
func runsText(_ values: [Double]) -> String { values.map { String(format: "%.0f", $0) }.joined(separator: " ") }
for source in sources {
    _ = try await measure(pipeline(source: source.yaml, webhook: "", run: -1))   // warm up
    var without: [Double] = []
    var with = Array(repeating: [Double](), count: source.variants.count)
    var frames = 0
    for run in 0..<runs {
        let a = try await measure(pipeline(source: source.yaml, webhook: nil, run: run))
        without.append(a.framesPerSecond)
        frames = a.frames
        for (k, variant) in source.variants.enumerated() {
            with[k].append(try await measure(pipeline(source: source.yaml, webhook: variant.settings, run: run)).framesPerSecond)
        }
    }
    let m0 = median(without)
    print("| \(source.name) (\(frames) frames) | none | \(String(format: "%.0f", m0)) | \(runsText(without)) |")
    for (k, variant) in source.variants.enumerated() {
        let m1 = median(with[k])
        print("| \(source.name) (\(frames) frames) | \(variant.label) | \(String(format: "%.0f", m1)) | \(runsText(with[k])) |")
        lines.append("\(source.name), webhook \(variant.label): \(String(format: "%.3f", m1 / m0))x the frames/s without "
            + "(\(String(format: "%+.1f", (m1 / m0 - 1) * 100))%)")
    }
}
print("")
for line in lines { print(line) }
print("requests the receiver got (all still unanswered at each run's end): \(receiver.requests.count)")
await receiver.shutdown()
