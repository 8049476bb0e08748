import Foundation
import Synchronization
public import VigilCore

/// `type: detect`: turns frames into boxes with one of several detectors, optionally only on frames with
/// motion (`gate: motion`) or on every Nth frame (`interval`). `kind: face_mesh` (face landmarks and
/// driver-monitoring measurements) is documented in `DetectSpec+FaceMesh.swift`.
///
/// ```yaml
/// people:
///   type: detect
///   inputs: [camera]
///   kind: dnn              # dnn | hog | cascade | motion | file | face_mesh
///   model: yolo-fastest-1.1_body
///   classes: [person]
///   confidence: 0.35
///   nms: 0.45
///   input_size: 320        # or 416x256
///   threads: 2            # OpenCV threads in all (process-wide)
///   streams: 2            # networks inferring different frames at once, threads / streams each
///                         # (default: 2 with two cores or more: more frames/s, one frame more latency)
///   gate: motion           # run the detector only where something moves...
///   max_interval: 25       # ...but at least every 25 frames (or a duration: 2s)
/// ```
public struct DetectSpec: StageSpec {
    public static let typeName = "detect"
    public static let role = StageRole.transform
    public static let summary = "detect objects: OpenCV DNN YOLO (Darknet/ONNX), HOG people, cascades, motion, MOT files, "
        + "face landmarks with eye, mouth and head-pose measurements"

    public enum Kind: String, Sendable, CaseIterable {
        case dnn, hog, cascade, motion, file
        case faceMesh = "face_mesh"
    }

    public struct DNNSettings: Sendable {
        public var model: String
        public var classes: [String]?
        public var confidence: Double
        public var nms: Double
        public var inputSize: (width: Int, height: Int)?
        public var letterbox: Bool?
        /// Networks inferring in parallel, each on its own thread with `threads / streams` OpenCV threads;
        /// `nil` = 2 on machines with two cores or more (see bench/detect), else 1.
        public var streams: Int?

        /// The number of networks that will run.
        public var effectiveStreams: Int { streams ?? (ProcessInfo.processInfo.activeProcessorCount >= 2 ? 2 : 1) }
    }

    public enum Detector: Sendable {
        case dnn(DNNSettings)
        case hog(hitThreshold: Double, upscale: Double, label: String)
        case cascade(CascadeConfiguration, children: [CascadeConfiguration], rotations: [Double])
        case motion(MotionConfiguration)
        /// `path` may contain `{source}`, replaced by the source id.
        case file(path: String, label: String, minScore: Double)
        case faceMesh(FaceMeshSettings)
    }

    /// How often the detector may be skipped.
    public struct Gate: Sendable {
        public var motion: MotionConfiguration
        /// Run at least every this many frames...
        public var maxIntervalFrames: Int?
        /// ...or this many media seconds.
        public var maxIntervalSeconds: Double?
    }

    public var kind: Kind
    public var detector: Detector
    public var gate: Gate?
    /// Run on every Nth frame of each source (1 = every frame).
    public var interval: Int
    /// Threads for OpenCV (process-wide); `nil` leaves OpenCV's default (one per core).
    public var threads: Int?
    /// Models folder; `nil` = `$VIGIL_MODELS` or `./models`. Settable from code (tests), not from YAML.
    public var modelsDirectory: String?
    /// The detector built (and so checked) by `preflight`, handed to `makeStage` so the model is loaded once.
    private let preflighted = Preflighted()

    public init(config r: ConfigReader) {
        kind = r.choice("kind", as: Kind.self) ?? .dnn
        if !r.has("kind") { r.missing("kind") }
        switch kind {
        case .dnn:
            let model = r.requiredString("model") ?? ""
            var size: (Int, Int)?
            if let node = r.raw("input_size") {
                size = node.scalar.flatMap(ModelRegistry.parseSize)
                if size == nil { r.error("invalid value for 'input_size': expected a size such as 320 or 416x256", at: node.location) }
            }
            detector = .dnn(DNNSettings(model: model, classes: r.stringList("classes"),
                                        confidence: r.threshold("confidence") ?? 0.35, nms: r.threshold("nms") ?? 0.45,
                                        inputSize: size, letterbox: r.bool("letterbox"),
                                        streams: r.int("streams", in: 1...16)))
        case .hog:
            detector = .hog(hitThreshold: r.double("hit_threshold", in: -5...5) ?? 0,
                            upscale: r.double("upscale", in: 0.25...4) ?? 1, label: r.string("label") ?? "person")
        case .cascade:
            let parent = Self.readCascade(r, defaultLabel: "face", required: true)
            var children: [CascadeConfiguration] = []
            for child in r.nestedList("children") ?? [] {
                children.append(Self.readCascade(child, defaultLabel: "eye", required: true))
                child.finish()
            }
            var rotations: [Double] = []
            for text in r.stringList("rotations") ?? [] {
                if let angle = Double(text), abs(angle) <= 90 { rotations.append(angle) } else {
                    r.error("invalid angle '\(text)' in 'rotations': expected degrees within -90...90")
                }
            }
            detector = .cascade(parent, children: children, rotations: rotations)
        case .motion:
            detector = .motion(Self.readMotion(r, prefix: "", label: r.string("label") ?? "motion"))
        case .file:
            detector = .file(path: r.requiredString("path") ?? "", label: r.string("label") ?? "person",
                             minScore: r.double("confidence") ?? -.infinity)
        case .faceMesh:
            detector = .faceMesh(Self.readFaceMesh(r))
        }
        threads = r.int("threads", in: 1...256)
        interval = r.int("interval", in: 1...10_000) ?? 1
        // Every value present is checked, whether or not the settings around it are consistent.
        let gateName = r.string("gate")
        if let gateName, gateName != "motion" { r.error("invalid value '\(gateName)' for 'gate': expected motion") }
        var maxInterval: (frames: Int?, seconds: Double?) = (nil, nil)
        if let node = r.raw("max_interval") {
            if let text = node.scalar, let frames = Int(text), frames >= 1 { maxInterval.frames = frames }
            else if let text = node.scalar, let seconds = ConfigValueParser.duration(text), seconds > 0 { maxInterval.seconds = seconds }
            else {
                r.error("invalid value '\(node.scalar ?? node.shapeName)' for 'max_interval': expected a frame count or a "
                        + "duration such as 2s", at: node.location)
            }
            if gateName == nil { r.error("'max_interval' needs 'gate: motion'", at: node.location) }
        }
        let gateMotion = Self.readMotion(r, prefix: "gate_", label: "motion")
        if gateName != nil {
            if kind == .motion || kind == .file || kind == .faceMesh {
                r.error("'gate: motion' only applies to dnn, hog and cascade detectors")
            }
            gate = Gate(motion: gateMotion, maxIntervalFrames: maxInterval.frames, maxIntervalSeconds: maxInterval.seconds)
        } else {
            for key in ["history", "var_threshold", "work_width", "min_area", "merge_distance"] where r.has("gate_" + key) {
                r.error("'gate_\(key)' needs 'gate: motion'", at: r.node.entry("gate_" + key)?.keyLocation)
            }
        }
        r.finish()
    }

    private static func readCascade(_ r: ConfigReader, defaultLabel: String, required: Bool) -> CascadeConfiguration {
        CascadeConfiguration(cascade: (required ? r.requiredString("cascade") : r.string("cascade")) ?? "",
                             label: r.string("label") ?? defaultLabel,
                             scaleFactor: r.double("scale_factor", in: 1.001...3) ?? 1.05,
                             minNeighbors: r.int("min_neighbors", in: 0...100) ?? 2,
                             minSize: r.int("min_size", in: 0...10_000) ?? 0, maxSize: r.int("max_size", in: 0...10_000) ?? 0)
    }

    private static func readMotion(_ r: ConfigReader, prefix: String, label: String) -> MotionConfiguration {
        let defaults = MotionConfiguration()
        return MotionConfiguration(history: r.int(prefix + "history", in: 1...100_000) ?? defaults.history,
                                   varianceThreshold: r.double(prefix + "var_threshold", in: 1...1000) ?? defaults.varianceThreshold,
                                   workWidth: r.int(prefix + "work_width", in: 32...4096) ?? defaults.workWidth,
                                   minArea: r.double(prefix + "min_area", in: 0...1e8) ?? defaults.minArea,
                                   mergeDistance: r.double(prefix + "merge_distance", in: 0...10_000) ?? defaults.mergeDistance,
                                   label: label)
    }

    public var inputPorts: Set<PortType> { [.frames] }
    public var outputPort: PortType? { .frames }

    /// Source-size BGR: the detectors resize once, straight to what they need (a DNN's input, MOG2's work
    /// width). Letting the source scale down first (to 1x or 2x the DNN input) measured no faster end to end
    /// (bench/detect), and source-size frames keep the boxes identical to OpenCV's reference.
    public var frameRequirement: FrameRequirement? {
        switch detector {
        case .file: nil
        case .motion(let m): FrameRequirement(pixelFormat: .gray8, maxWidth: max(640, m.workWidth), maxHeight: max(640, m.workWidth))
        default: FrameRequirement(pixelFormat: .bgr24)
        }
    }

    /// Checks the model (files present, pinned hashes, OpenCV can load it, class names exist), the cascade
    /// files, and the detections files, so that the pipeline does not start with a detector that cannot run.
    public func preflight(context: StageContext) async throws {
        preflighted.store(try buildDetector(context: context), for: context.id)
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        if case .dnn(let settings) = detector, settings.effectiveStreams > 1 {
            // Each stream infers on its own thread and splits the thread budget with the others.
            let budget = threads ?? ProcessInfo.processInfo.activeProcessorCount
            OpenCVRuntime.setThreadCount(max(1, budget / settings.effectiveStreams))
        } else if let threads {
            OpenCVRuntime.setThreadCount(threads)
        }
        let detector = try preflighted.take(for: context.id) ?? buildDetector(context: context)
        return DetectStage(spec: self, detector: detector, context: context)
    }

    func buildDetector(context: StageContext) throws(VigilError) -> any PipelinedDetector {
        switch detector {
        case .dnn(let settings):
            let registry = try ModelRegistry(directory: modelsDirectory)
            let configuration = try registry.configuration(for: settings.model, inputSize: settings.inputSize,
                                                           letterbox: settings.letterbox)
            var replicas: [DNNDetector] = []
            for _ in 0..<settings.effectiveStreams {
                let dnn = try DNNDetector(configuration, confidence: settings.confidence, nmsThreshold: settings.nms)
                if let classes = settings.classes { try dnn.restrict(toClasses: classes) }
                replicas.append(dnn)
            }
            return PipelinedDNN(replicas)
        case .hog(let threshold, let upscale, let label):
            let hog = try HOGDetector(hitThreshold: threshold, upscale: upscale, label: label)
            return PipelinedWhole { image, scale throws(VigilError) in try hog.detect(in: image, scale: scale) }
        case .cascade(let parent, let children, let rotations):
            let cascade = try CascadeDetector(parent, children: children, rotations: rotations)
            return PipelinedWhole { image, scale throws(VigilError) in try cascade.detect(in: image, scale: scale) }
        case .motion(let configuration):
            return PipelinedMotion(configuration)
        case .faceMesh(let settings):
            return try Self.buildFaceMesh(settings, registry: ModelRegistry(directory: modelsDirectory))
        case .file(let template, let label, let minScore):
            let sources = context.upstreamSources.isEmpty ? [""] : context.upstreamSources
            let load = { @Sendable (source: String) throws(VigilError) -> [[Detection]] in
                let records = try MOTChallenge.read(contentsOf: context.resolvePath(Self.path(template, source: source)))
                return MOTChallenge.detectionsByFrame(records, minScore: minScore, label: label)
            }
            for source in sources where template.contains("{source}") || source == sources[0] { _ = try load(source) }
            return PipelinedFile(load: load)
        }
    }

    static func path(_ template: String, source: String) -> String {
        template.replacingOccurrences(of: "{source}", with: source)
    }
}

/// One detector kept from `preflight` to `makeStage` of the same stage.
final class Preflighted: Sendable {
    private let slot = Mutex<(id: String, detector: any PipelinedDetector)?>(nil)
    func store(_ detector: any PipelinedDetector, for id: String) { slot.withLock { $0 = (id, detector) } }
    func take(for id: String) -> (any PipelinedDetector)? {
        slot.withLock { kept in
            defer { kept = nil }
            return kept?.id == id ? kept?.detector : nil
        }
    }
}
