public import VigilCore

/// A reader for the small YAML subset that `models.yaml` uses: block mappings, block sequences, flow
/// lists `[a, b]`, plain and quoted scalars, comments. Keeps positions so errors name `file:line:column`.
/// (VigilVision does not depend on a YAML library; the pipeline files are read by VigilPipeline.)
public enum MiniYAML {
    public static func parse(_ text: String, file: String) throws(VigilError) -> ConfigNode {
        var lines: [(indent: Int, text: String, line: Int)] = []
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = stripComment(String(raw))
            guard !content.allSatisfy(\.isWhitespace) else { continue }
            if content.contains("\t") { throw error("tabs are not allowed for indentation", file, number + 1, 1) }
            let indent = content.prefix { $0 == " " }.count
            lines.append((indent, String(content.dropFirst(indent)).trimmedRight, number + 1))
        }
        var index = 0
        guard !lines.isEmpty else { return ConfigNode(.null, at: SourceLocation(file: file, line: 1, column: 1)) }
        let node = try block(&index, lines, indent: lines[0].indent, file: file)
        if index < lines.count {
            throw error("unexpected indentation", file, lines[index].line, lines[index].indent + 1)
        }
        return node
    }

    private static func block(_ i: inout Int, _ lines: [(indent: Int, text: String, line: Int)], indent: Int,
                              file: String) throws(VigilError) -> ConfigNode {
        let first = lines[i]
        let location = SourceLocation(file: file, line: first.line, column: indent + 1)
        if first.text.hasPrefix("- ") || first.text == "-" {
            var items: [ConfigNode] = []
            while i < lines.count, lines[i].indent == indent, lines[i].text.hasPrefix("-") {
                let current = lines[i]
                let rest = String(current.text.dropFirst(1)).trimmedLeft
                let column = indent + 1 + (current.text.count - rest.count)
                if rest.isEmpty {
                    i += 1
                    guard i < lines.count, lines[i].indent > indent else {
                        items.append(ConfigNode(.null, at: SourceLocation(file: file, line: current.line, column: column)))
                        continue
                    }
                    items.append(try block(&i, lines, indent: lines[i].indent, file: file))
                } else if splitKey(rest) != nil {
                    // "- key: value" starts a mapping indented at the text after "- ".
                    var copy = lines
                    copy[i] = (column - 1, rest, current.line)
                    var j = i
                    items.append(try block(&j, copy, indent: column - 1, file: file))
                    i = j
                } else {
                    items.append(try scalar(rest, SourceLocation(file: file, line: current.line, column: column)))
                    i += 1
                }
            }
            return ConfigNode(.sequence(items), at: location)
        }
        var entries: [ConfigNode.Entry] = []
        while i < lines.count, lines[i].indent == indent, !lines[i].text.hasPrefix("- ") {
            let current = lines[i]
            guard let (key, value) = splitKey(current.text) else {
                throw error("expected 'key: value'", file, current.line, indent + 1)
            }
            let keyLocation = SourceLocation(file: file, line: current.line, column: indent + 1)
            if entries.contains(where: { $0.key == key }) {
                throw error("duplicate key '\(key)'", file, current.line, indent + 1)
            }
            i += 1
            if value.isEmpty {
                if i < lines.count, lines[i].indent > indent {
                    entries.append(.init(key: key, keyLocation: keyLocation,
                                         value: try block(&i, lines, indent: lines[i].indent, file: file)))
                } else {
                    entries.append(.init(key: key, keyLocation: keyLocation, value: ConfigNode(.null, at: keyLocation)))
                }
            } else {
                let column = indent + 1 + (current.text.count - value.count)
                entries.append(.init(key: key, keyLocation: keyLocation,
                                     value: try scalar(value, SourceLocation(file: file, line: current.line, column: column))))
            }
        }
        return ConfigNode(.mapping(entries), at: location)
    }

    /// `key: value` -> (key, value); nil when the line is not a mapping entry.
    private static func splitKey(_ text: String) -> (String, String)? {
        if text.hasPrefix("\"") || text.hasPrefix("'") || text.hasPrefix("[") { return nil }
        guard let colon = text.firstIndex(where: { $0 == ":" }) else { return nil }
        let after = text.index(after: colon)
        guard after == text.endIndex || text[after] == " " else { return nil }
        let key = String(text[..<colon]).trimmedRight
        return key.isEmpty ? nil : (key, String(text[after...]).trimmedLeft)
    }

    private static func scalar(_ text: String, _ location: SourceLocation) throws(VigilError) -> ConfigNode {
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw error("unterminated list", location.file, location.line, location.column) }
            let inner = text.dropFirst().dropLast()
            let items = inner.split(separator: ",").map { String($0).trimmedLeft.trimmedRight }.filter { !$0.isEmpty }
            return ConfigNode(.sequence(try items.map { item throws(VigilError) in try scalar(item, location) }), at: location)
        }
        if let quote = text.first, quote == "\"" || quote == "'" {
            guard text.count >= 2, text.last == quote else {
                throw error("unterminated string", location.file, location.line, location.column)
            }
            return ConfigNode(.scalar(String(text.dropFirst().dropLast())), at: location)
        }
        if text == "~" || text == "null" { return ConfigNode(.null, at: location) }
        return ConfigNode(.scalar(text), at: location)
    }

    private static func stripComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (offset, c) in line.enumerated() {
            if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == "#", previous == " " {
                return String(line.prefix(offset))
            }
            previous = c
        }
        return line
    }

    private static func error(_ message: String, _ file: String, _ line: Int, _ column: Int) -> VigilError {
        VigilError(.invalidArgument, "\(file):\(line):\(column): \(message)", subject: file)
    }
}

extension String {
    var trimmedRight: String {
        var s = Substring(self)
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }

    var trimmedLeft: String { String(drop { $0.isWhitespace }) }
}
