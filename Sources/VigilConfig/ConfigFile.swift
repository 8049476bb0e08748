import Foundation
public import VigilCore

/// The one reader of Vigil's configuration files — pipelines, jobs, the models registry, tracker
/// settings: YAML (through Yams) into a ``ConfigNode`` tree that keeps every node's `file:line:column`,
/// `${VAR}` / `${VAR:-default}` interpolated from the environment, then read through a ``ConfigReader``
/// whose problems are all reported at once, in file order, with the closest valid key suggested.
public enum ConfigFile {
    /// Parses `text` (the contents of `file`). YAML errors are reported to `diagnostics`; `nil` when
    /// there is no tree to read.
    public static func parse(_ text: String, file: String, environment: [String: String]? = nil,
                             diagnostics: DiagnosticSink) -> ConfigNode? {
        YAMLLoader(file: file, environment: environment ?? ProcessInfo.processInfo.environment)
            .load(text, diagnostics: diagnostics)
    }

    /// Parses `text` (the contents of `file`), throwing ``ValidationError`` on a YAML error.
    public static func parse(_ text: String, file: String, environment: [String: String]? = nil) throws -> ConfigNode {
        let diagnostics = DiagnosticSink()
        guard let root = parse(text, file: file, environment: environment, diagnostics: diagnostics),
              diagnostics.diagnostics.isEmpty else {
            throw ValidationError(inFileOrder: diagnostics.diagnostics)
        }
        return root
    }

    /// The text of the file at `path`; `what` names it in the error ("the job file").
    public static func text(at path: String, what: String) throws(VigilError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw VigilError(.io, exists ? "cannot read \(what); check its permissions" : "cannot read \(what): no such file",
                             subject: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw VigilError(.invalidPipeline, "\(what) is not UTF-8 text", subject: path)
        }
        return text
    }

    /// Reads the file at `path` with `read`, which takes its values from the root mapping's reader
    /// (unknown keys are reported when it returns). Throws ``ValidationError`` with every problem found,
    /// in file order, or a ``VigilError`` when the file cannot be read.
    public static func load<T>(_ path: String, what: String, environment: [String: String]? = nil,
                               _ read: (ConfigReader) -> T) throws -> T {
        let text = try text(at: path, what: what)
        let diagnostics = DiagnosticSink()
        guard let root = parse(text, file: path, environment: environment, diagnostics: diagnostics) else {
            throw ValidationError(inFileOrder: diagnostics.diagnostics)
        }
        let reader = ConfigReader(root, diagnostics: diagnostics)
        let value = read(reader)
        reader.finish()
        guard diagnostics.diagnostics.isEmpty else { throw ValidationError(inFileOrder: diagnostics.diagnostics) }
        return value
    }
}
