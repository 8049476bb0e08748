/// A position in a configuration file, 1-based.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found while validating a pipeline, reported as `file:line:column: message`.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String

    public init(_ message: String, at location: SourceLocation?) { self.location = location; self.message = message }
    public var description: String { location.map { "\($0): \(message)" } ?? message }
}

/// Every problem found in a pipeline file, all at once.
public struct ValidationError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    /// Sorted by position (stable, so problems at one place keep the order they were found in).
    public init(inFileOrder diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.enumerated().sorted { a, b in
            let la = a.element.location, lb = b.element.location
            let ka = (la?.file ?? "", la?.line ?? 0, la?.column ?? 0), kb = (lb?.file ?? "", lb?.line ?? 0, lb?.column ?? 0)
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
    }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
