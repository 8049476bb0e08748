import ArgumentParser
import Foundation
import VigilConfig
import VigilCore
import VigilTracking

/// `vigil track`: MOT-Challenge detections in, MOT-Challenge tracks out, the same tracker as the
/// pipeline's `track` stage. Prints `FPS: <n>` measured over the per-frame tracking loop only.
struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Track MOT-Challenge detections (frame,-1,x,y,w,h,score) and write MOT-Challenge tracks.")

    @Option(help: "MOT detection file: frame,-1,x,y,w,h,score,... (frames 1-based).")
    var detections: String

    @Option(help: "MOT track file to write: frame,id,x,y,w,h,score,-1,-1,-1.")
    var out: String

    @Option(help: "Frame rate of the sequence (default: seqinfo.ini next to the detections, else 30).")
    var fps: Double?

    @Option(help: "Number of frames (default: seqinfo.ini next to the detections, else the last frame in the file).")
    var frames: Int?

    @Option(name: .customLong("tracker-config"),
            help: "YAML file of tracker settings: the keys of the track stage, e.g. 'match_iou: 0.3'.")
    var trackerConfig: String?

    func run() async throws {
        let seqinfo = Self.seqinfo(nextTo: detections)
        let rate = fps ?? seqinfo["frameRate"].flatMap(Double.init) ?? 30
        guard rate > 0, rate.isFinite else { throw ValidationError("--fps must be a positive number") }
        let frameCount = frames ?? seqinfo["seqLength"].flatMap { Int($0) }
        if let frameCount, frameCount < 0 { throw ValidationError("--frames must not be negative") }

        let configuration = try trackerConfig.map(Self.readConfiguration) ?? TrackerConfiguration()
        let perFrame = MOTChallenge.detectionsByFrame(try MOTChallenge.read(contentsOf: detections), frames: frameCount)

        var tracker = ByteTracker(configuration: configuration)
        var results = [[TrackPoint]](repeating: [], count: perFrame.count)
        var points: [TrackPoint] = []
        let clock = ContinuousClock()
        let start = clock.now
        for f in 0..<perFrame.count {
            tracker.update(detections: perFrame[f], at: Double(f) / rate, into: &points)
            results[f] = points
        }
        let elapsed = clock.now - start

        var text = ""
        text.reserveCapacity(results.reduce(0) { $0 + $1.count } * 48)
        for (f, points) in results.enumerated() { MOTChallenge.appendTracks(points, frame: f + 1, to: &text) }
        guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else {
            throw VigilError(.io, "cannot write the track file; check the directory exists and is writable", subject: out)
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let loopFPS = seconds > 0 ? Double(perFrame.count) / seconds : .infinity
        print("frames: \(perFrame.count), tracks written: \(results.reduce(0) { $0 + $1.count })")
        print("FPS: \(String(format: "%.2f", loopFPS))")
    }

    /// `seqinfo.ini` keys next to a MOT file (empty when there is none).
    static func seqinfo(nextTo path: String) -> [String: String] {
        let dir = (path as NSString).deletingLastPathComponent
        let file = (dir.isEmpty ? "." : dir) + "/seqinfo.ini"
        guard let data = FileManager.default.contents(atPath: file) else { return [:] }
        var out: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 {
                out[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return out
    }

    /// A YAML mapping of the track stage's keys, read by the same reader as pipeline files.
    static func readConfiguration(path: String) throws -> TrackerConfiguration {
        try ConfigFile.load(path, what: "the tracker configuration file") { TrackerConfiguration(reading: $0) }
    }
}
