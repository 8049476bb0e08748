public import Foundation

/// Reads one mapping of a configuration file on behalf of a stage spec: typed accessors that record
/// a ``Diagnostic`` at the value's position instead of stopping at the first problem, and a final
/// check that reports keys nobody asked for, with the closest valid key suggested.
public final class ConfigReader {
    public let node: ConfigNode
    private let sink: DiagnosticSink
    private var known: [String] = []
    /// Keys read by the caller (or declared as handled elsewhere, such as `type` and `inputs`).
    private var consumed: Set<String> = []

    public init(_ node: ConfigNode, diagnostics: DiagnosticSink, handledKeys: [String] = []) {
        self.node = node
        self.sink = diagnostics
        self.known = handledKeys
        self.consumed = Set(handledKeys)
        if node.entries == nil, case .null = node.value {} else if node.entries == nil {
            diagnostics.report("expected a mapping of settings, found \(node.shapeName)", at: node.location)
        }
    }

    /// Where this reader's problems go (shared by every reader of one file).
    public var diagnostics: DiagnosticSink { sink }

    /// Where this mapping starts.
    public var location: SourceLocation { node.location }

    /// Whether any error has been reported so far (by any reader of the same file).
    public var hasErrors: Bool { !sink.diagnostics.isEmpty }

    public func error(_ message: String, at location: SourceLocation? = nil) {
        sink.report(message, at: location ?? node.location)
    }

    /// The raw node of `key`, marking the key as valid.
    public func raw(_ key: String) -> ConfigNode? {
        known.append(key)
        consumed.insert(key)
        guard let value = node.entry(key)?.value else { return nil }
        if case .null = value.value { return nil }
        return value
    }

    public func has(_ key: String) -> Bool { node.entry(key) != nil }

    // MARK: Scalars

    public func string(_ key: String) -> String? {
        guard let value = raw(key) else { return nil }
        guard let s = value.scalar else {
            error("'\(key)' must be a string, found \(value.shapeName)", at: value.location)
            return nil
        }
        return s
    }

    public func string(_ key: String, default fallback: String) -> String { string(key) ?? fallback }

    public func requiredString(_ key: String) -> String? {
        if node.entry(key) == nil { missing(key) }
        return string(key)
    }

    public func missing(_ key: String) {
        known.append(key)
        error("missing required key '\(key)'", at: node.location)
    }

    public func int(_ key: String, in range: ClosedRange<Int>? = nil) -> Int? {
        parse(key, expected: range.map { "an integer in \($0.lowerBound)...\($0.upperBound)" } ?? "an integer") { text in
            guard let v = Int(text), range?.contains(v) ?? true else { return nil }
            return v
        }
    }

    public func double(_ key: String, in range: ClosedRange<Double>? = nil) -> Double? {
        parse(key, expected: range.map { "a number in \($0.lowerBound)...\($0.upperBound)" } ?? "a number") { text in
            // Plain decimals only (no hexadecimal, inf or nan), as everywhere in Vigil's files.
            let negative = text.hasPrefix("-")
            guard let magnitude = ConfigValueParser.decimal(negative ? text.dropFirst() : Substring(text)) else { return nil }
            let v = negative ? -magnitude : magnitude
            guard range?.contains(v) ?? true else { return nil }
            return v
        }
    }

    /// A probability-like threshold in 0...1.
    public func threshold(_ key: String) -> Double? { double(key, in: 0...1) }

    public func bool(_ key: String) -> Bool? {
        parse(key, expected: "true or false") { text in
            switch text.lowercased() {
            case "true", "yes", "on": true
            case "false", "no", "off": false
            default: nil
            }
        }
    }

    /// A duration such as `500ms`, `5s`, `1m`, `2h`, `1d` or a bare number of seconds.
    public func duration(_ key: String) -> Double? {
        parse(key, expected: "a duration such as 500ms, 5s, 1m or 2h") { ConfigValueParser.duration($0) }
    }

    /// A rate in events per second: `5`, `5/s`, `300/m`, `2.5fps`.
    public func rate(_ key: String) -> Double? {
        parse(key, expected: "a positive rate such as 5, 5/s, 300/m or 10fps") { ConfigValueParser.rate($0) }
    }

    /// A URL with a scheme among `schemes`, or (when `allowPath`) a file path.
    public func url(_ key: String, schemes: Set<String>, allowPath: Bool = true) -> String? {
        let shown = schemes.sorted().map { "\($0)://" }.joined(separator: ", ")
        return parse(key, expected: allowPath ? "a file path or a URL (\(shown))" : "a URL (\(shown))") { text in
            ConfigValueParser.url(text, schemes: schemes, allowPath: allowPath) ? text : nil
        }
    }

    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type) -> T? where T.RawValue == String {
        let options = T.allCases.map(\.rawValue)
        return parse(key, expected: "one of " + options.joined(separator: ", ")) { T(rawValue: $0) }
    }

    public func stringList(_ key: String) -> [String]? {
        guard let value = raw(key) else { return nil }
        if let s = value.scalar { return [s] }
        guard let items = value.items else {
            error("'\(key)' must be a list of strings, found \(value.shapeName)", at: value.location)
            return nil
        }
        var out: [String] = []
        for item in items {
            if let s = item.scalar { out.append(s) } else {
                error("'\(key)' must contain strings, found \(item.shapeName)", at: item.location)
            }
        }
        return out
    }

    /// A nested mapping, read by its own reader (which checks its own unknown keys on `finish`).
    public func nested(_ key: String) -> ConfigReader? {
        guard let value = raw(key) else { return nil }
        guard value.entries != nil else {
            error("'\(key)' must be a mapping, found \(value.shapeName)", at: value.location)
            return nil
        }
        return ConfigReader(value, diagnostics: sink)
    }

    /// A list of mappings, each read by its own reader.
    public func nestedList(_ key: String) -> [ConfigReader]? {
        guard let value = raw(key) else { return nil }
        guard let items = value.items else {
            error("'\(key)' must be a list, found \(value.shapeName)", at: value.location)
            return nil
        }
        return items.map { ConfigReader($0, diagnostics: sink) }
    }

    /// `time_origin: run_start | <ISO 8601>`: the wall-clock time of media time 0 for files, `nil` for the
    /// run's start (the default).
    public func timeOrigin(_ key: String = "time_origin") -> Date? {
        guard let origin = string(key), origin != "run_start" else { return nil }
        if let date = ISO8601DateFormatter().date(from: origin) { return date }
        error("invalid value '\(origin)' for '\(key)': expected run_start or an ISO 8601 time such as 2024-05-01T08:00:00Z",
              at: raw(key)?.location)
        return nil
    }

    private var finished = false

    /// Reports every key that no accessor asked for, suggesting the closest known key. Idempotent.
    public func finish() {
        guard !finished else { return }
        finished = true
        for entry in node.entries ?? [] where !consumed.contains(entry.key) {
            var message = "unknown key '\(entry.key)'"
            if let suggestion = Suggestion.closest(to: entry.key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else if !known.isEmpty {
                message += "; expected one of: " + Array(Set(known)).sorted().joined(separator: ", ")
            }
            error(message, at: entry.keyLocation)
        }
    }

    private func parse<T>(_ key: String, expected: String, _ convert: (String) -> T?) -> T? {
        guard let value = raw(key) else { return nil }
        guard let text = value.scalar else {
            error("'\(key)' must be \(expected), found \(value.shapeName)", at: value.location)
            return nil
        }
        guard let result = convert(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            error("invalid value '\(text)' for '\(key)': expected \(expected)", at: value.location)
            return nil
        }
        return result
    }
}

/// Collects diagnostics from every reader of one file.
public final class DiagnosticSink {
    public private(set) var diagnostics: [Diagnostic] = []
    public init() {}
    public func report(_ message: String, at location: SourceLocation?) {
        diagnostics.append(Diagnostic(message, at: location))
    }
}
