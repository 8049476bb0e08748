import Foundation
import VigilConfig
public import VigilCore

/// What a registry model computes: one of the YOLO output layouts (``YOLOLayout``) for `kind: dnn`, or one
/// of MediaPipe's face models for `kind: face_mesh`.
public enum ModelLayout: String, Sendable, CaseIterable {
    case auto, darknet, yolov5, yolov8
    /// BlazeFace short-range face detector (`kind: face_mesh`'s detector).
    case blazeface
    /// FaceMesh, 468 landmarks (`kind: face_mesh`'s landmark model).
    case facemesh
    /// FER2013 mini-XCEPTION, 7 emotions (`kind: face_mesh`'s optional `emotion_model`).
    case emotion

    /// The YOLO layout, `nil` for the face models.
    public var yolo: YOLOLayout? { YOLOLayout(rawValue: rawValue) }
}

/// One model of the registry, as `models.yaml` describes it.
public struct ModelEntry: Sendable, Hashable {
    public var id: String
    public var format: ModelFormat
    public var layout: ModelLayout
    /// Darknet `.cfg` (file name inside the models folder).
    public var config: String?
    /// `.weights` or `.onnx`.
    public var weights: String
    /// Class names file, one per line.
    public var names: String?
    /// Class names given inline; win over `names`.
    public var labels: [String]?
    public var inputWidth: Int
    public var inputHeight: Int
    public var letterbox: Bool
    /// Pinned SHA-256 of each file, in file order.
    public var sha256: [String: String]

    /// Every file the model needs.
    public var files: [String] { [config, weights, names].compactMap { $0 } }
}

/// The models folder (`VIGIL_MODELS`, default `./models`) and its `models.yaml`. A pipeline names a model by
/// id; the registry checks that its files are there, unchanged (SHA-256) and loadable before anything runs.
public struct ModelRegistry: Sendable {
    public static let manifestName = "models.yaml"

    /// `$VIGIL_MODELS`, else `models` (relative to the working directory).
    public static var defaultDirectory: String {
        let value = ProcessInfo.processInfo.environment["VIGIL_MODELS"] ?? ""
        return value.isEmpty ? "models" : value
    }

    public let directory: String
    public let entries: [ModelEntry]

    public var manifestPath: String { directory + "/" + Self.manifestName }

    /// Reads `models.yaml` of `directory` (default ``defaultDirectory``).
    public init(directory: String? = nil) throws(VigilError) {
        let directory = directory ?? Self.defaultDirectory
        self.directory = directory
        let path = directory + "/" + Self.manifestName
        guard FileManager.default.fileExists(atPath: path) else {
            throw VigilError(.model, "no model registry found; run scripts/fetch-models (or set VIGIL_MODELS to the "
                             + "folder holding models.yaml)", subject: path)
        }
        do {
            entries = try ConfigFile.load(path, what: "the model registry") { reader in
                guard let models = reader.nested("models") else {
                    reader.missing("models")
                    return []
                }
                return (models.node.entries ?? []).compactMap { entry in
                    Self.readEntry(id: entry.key, ConfigReader(entry.value, diagnostics: reader.diagnostics))
                }
            }
        } catch let error as VigilError {
            throw error
        } catch {
            throw VigilError(.model, "invalid model registry:\n\(error)", subject: path)
        }
    }

    private static func readEntry(id: String, _ r: ConfigReader) -> ModelEntry? {
        let format = r.choice("format", as: ModelFormat.self)
        if !r.has("format") { r.missing("format") }
        let layout = r.choice("layout", as: ModelLayout.self) ?? .auto
        let config = r.string("config")
        let weights = r.requiredString("weights")
        let names = r.string("names")
        let labels = r.stringList("labels")
        let size = r.raw("input_size").flatMap { node -> (Int, Int)? in
            guard let text = node.scalar, let size = parseSize(text) else {
                r.error("invalid value for 'input_size': expected a size such as 320 or 416x256", at: node.location)
                return nil
            }
            return size
        }
        if !r.has("input_size") { r.missing("input_size") }
        let letterbox = r.bool("letterbox")
        var hashes: [String: String] = [:]
        if let sha = r.nested("sha256") {
            for entry in sha.node.entries ?? [] {
                guard let value = entry.value.scalar, value.count == 64, value.allSatisfy(\.isHexDigit) else {
                    sha.error("'\(entry.key)' must be a SHA-256 (64 hex digits)", at: entry.value.location)
                    continue
                }
                _ = sha.raw(entry.key)
                hashes[entry.key] = value.lowercased()
            }
        } else {
            r.missing("sha256")
        }
        r.finish()
        guard let format, let weights, let size else { return nil }
        if format == .darknet && config == nil { r.error("model '\(id)': a darknet model needs 'config' (the .cfg file)") }
        if layout.yolo == nil && format != .onnx { r.error("model '\(id)': layout \(layout.rawValue) needs format: onnx") }
        let entry = ModelEntry(id: id, format: format, layout: layout, config: config, weights: weights, names: names,
                               labels: labels, inputWidth: size.0, inputHeight: size.1,
                               letterbox: letterbox ?? (format == .onnx), sha256: hashes)
        for file in entry.files where hashes[file] == nil {
            r.error("model '\(id)': no pinned sha256 for '\(file)'")
        }
        return entry
    }

    /// `320` or `416x256` (width x height).
    public static func parseSize(_ text: String) -> (Int, Int)? {
        let parts = text.lowercased().split(separator: "x").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil && (32...4096).contains($0!) }) else { return nil }
        return (parts[0]!, parts.count == 2 ? parts[1]! : parts[0]!)
    }

    public func entry(_ id: String) throws(VigilError) -> ModelEntry {
        if let entry = entries.first(where: { $0.id == id }) { return entry }
        var message = "unknown model '\(id)' in \(manifestPath)"
        if let close = Suggestion.closest(to: id, among: entries.map(\.id)) { message += "; did you mean '\(close)'?" }
        else { message += "; known: " + entries.map(\.id).joined(separator: ", ") }
        throw VigilError(.model, message, subject: id)
    }

    public func path(of file: String) -> String { file.hasPrefix("/") ? file : directory + "/" + file }

    /// Checks that every file of the model exists and has its pinned SHA-256.
    public func verifyFiles(of entry: ModelEntry) throws(VigilError) {
        for file in entry.files {
            let path = path(of: file)
            guard FileManager.default.fileExists(atPath: path) else {
                throw VigilError(.model, "model '\(entry.id)': file '\(file)' is missing from \(directory); "
                                 + "run scripts/fetch-models", subject: path)
            }
            let actual = try OpenCVRuntime.sha256(ofFile: path)
            guard actual == entry.sha256[file] else {
                throw VigilError(.model, "model '\(entry.id)': file '\(file)' has SHA-256 \(actual) but \(manifestPath) "
                                 + "pins \(entry.sha256[file] ?? "nothing"); the file is damaged or not the expected "
                                 + "model: run scripts/fetch-models again", subject: path)
            }
        }
    }

    /// Class names of the model: inline labels, else the names file.
    public func classNames(of entry: ModelEntry) throws(VigilError) -> [String] {
        if let labels = entry.labels { return labels }
        guard let names = entry.names else { return [] }
        let path = path(of: names)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.model, "model '\(entry.id)': cannot read class names file '\(names)'", subject: path)
        }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Verified files, read names, and the configuration to load the network with (`inputSize` and
    /// `letterbox` override the registry's values).
    public func configuration(for id: String, inputSize: (Int, Int)? = nil,
                              letterbox: Bool? = nil) throws(VigilError) -> DNNConfiguration {
        let entry = try entry(id)
        guard let layout = entry.layout.yolo else {
            throw VigilError(.model, "model '\(id)' is a face model (layout \(entry.layout.rawValue)), not a YOLO detector: "
                             + "use it with 'kind: face_mesh'", subject: id)
        }
        try verifyFiles(of: entry)
        return DNNConfiguration(format: entry.format, modelPath: path(of: entry.weights),
                                configPath: entry.config.map(path(of:)),
                                inputWidth: inputSize?.0 ?? entry.inputWidth, inputHeight: inputSize?.1 ?? entry.inputHeight,
                                letterbox: letterbox ?? entry.letterbox, layout: layout,
                                classNames: try classNames(of: entry), name: entry.id)
    }

    /// The verified model file of a face model: `id` must have `layout` (blazeface, facemesh or emotion).
    public func faceModelPath(for id: String, layout: ModelLayout) throws(VigilError) -> String {
        let entry = try entry(id)
        guard entry.layout == layout else {
            throw VigilError(.model, "model '\(id)' has layout \(entry.layout.rawValue) in \(manifestPath), but a "
                             + "\(layout.rawValue) model is needed here", subject: id)
        }
        try verifyFiles(of: entry)
        return path(of: entry.weights)
    }
}
