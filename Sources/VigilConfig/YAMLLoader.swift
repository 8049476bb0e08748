import VigilCore
import Yams

/// Parses YAML text into a ``ConfigNode`` tree that keeps every node's `file:line:column`, with
/// environment variables interpolated in scalars. Used through ``ConfigFile``.
struct YAMLLoader {
    var file: String
    var environment: [String: String]

    func load(_ text: String, diagnostics: DiagnosticSink) -> ConfigNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            diagnostics.report(Self.describe(error), at: Self.location(of: error, file: file))
            return nil
        } catch {
            diagnostics.report("cannot parse YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
            return nil
        }
        guard let root else {
            diagnostics.report("the file is empty", at: SourceLocation(file: file, line: 1, column: 1))
            return nil
        }
        return convert(root, diagnostics: diagnostics)
    }

    private func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private func convert(_ node: Node, diagnostics: DiagnosticSink) -> ConfigNode {
        let here = location(node.mark)
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return ConfigNode(.null, at: here)
            }
            switch EnvironmentInterpolation(environment: environment).apply(scalar.string) {
            case .success(let value):
                return ConfigNode(.scalar(value), at: here)
            case .failure(.unset(let name)):
                diagnostics.report("environment variable '\(name)' is not set (use ${\(name):-default} for a default)", at: here)
            case .failure(.malformed):
                diagnostics.report("malformed variable reference in '\(scalar.string)': expected ${NAME} or ${NAME:-default}", at: here)
            }
            // Reported once here; a null keeps readers from reporting the same value again.
            return ConfigNode(.null, at: here)
        case .sequence(let sequence):
            return ConfigNode(.sequence(sequence.map { convert($0, diagnostics: diagnostics) }), at: here)
        case .mapping(let mapping):
            var entries: [ConfigNode.Entry] = []
            var seen: Set<String> = []
            for (key, value) in mapping {
                let keyLocation = location(key.mark)
                guard case .scalar(let keyScalar) = key else {
                    diagnostics.report("mapping keys must be plain strings", at: keyLocation)
                    continue
                }
                if !seen.insert(keyScalar.string).inserted {
                    diagnostics.report("duplicate key '\(keyScalar.string)'", at: keyLocation)
                    continue
                }
                entries.append(.init(key: keyScalar.string, keyLocation: keyLocation,
                                     value: convert(value, diagnostics: diagnostics)))
            }
            return ConfigNode(.mapping(entries), at: here)
        case .alias:
            diagnostics.report("YAML aliases are not supported in Vigil's configuration files", at: here)
            return ConfigNode(.null, at: here)
        }
    }

    static func location(of error: YamlError, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            SourceLocation(file: file, line: mark.line, column: mark.column)
        case .duplicatedKeysInMapping(_, let context):
            SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
        default:
            SourceLocation(file: file, line: 1, column: 1)
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            "invalid YAML: \(problem)" + (context.map { " (\($0.text))" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, _):
            "duplicate keys: " + duplicates.joined(separator: ", ")
        default:
            "invalid YAML: \(error)"
        }
    }
}
