import Foundation

/// Splits a SQL script into statements at top-level semicolons, skipping comments, quoted strings,
/// quoted identifiers and dollar-quoted bodies. postgres-nio speaks only the extended protocol, which
/// takes one statement at a time.
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty, !isOnlyComments(text) { statements.append(text) }
            current = .init()
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-", next == "-" {                       // line comment
                while i < chars.count, chars[i] != "\n" { current.append(chars[i]); i += 1 }
                continue
            }
            if c == "/", next == "*" {                       // block comment (nesting, as PostgreSQL does)
                var depth = 0
                repeat {
                    if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" { depth += 1; current.append(chars[i]); i += 1 }
                    else if chars[i] == "*", i + 1 < chars.count, chars[i + 1] == "/" { depth -= 1; current.append(chars[i]); i += 1 }
                    current.append(chars[i]); i += 1
                } while i < chars.count && depth > 0
                continue
            }
            if c == "'" || c == "\"" {                       // 'string' or "identifier", doubled quote escapes
                current.append(c); i += 1
                while i < chars.count {
                    current.append(chars[i])
                    if chars[i] == c {
                        if i + 1 < chars.count, chars[i + 1] == c { current.append(c); i += 2; continue }
                        i += 1; break
                    }
                    i += 1
                }
                continue
            }
            if c == "$", let tagEnd = dollarTagEnd(chars, from: i) {   // $tag$ ... $tag$
                let tag = Array(chars[i...tagEnd])
                current.append(contentsOf: tag); i = tagEnd + 1
                while i < chars.count {
                    if chars[i] == "$", i + tag.count <= chars.count, Array(chars[i..<(i + tag.count)]) == tag {
                        current.append(contentsOf: tag); i += tag.count; break
                    }
                    current.append(chars[i]); i += 1
                }
                continue
            }
            if c == ";" { flush(); i += 1; continue }
            current.append(c); i += 1
        }
        flush()
        return statements
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `start`, if it is one.
    private static func dollarTagEnd(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        if start > 0 {   // `$1` parameters and identifiers like a$b are not quotes
            let prev = chars[start - 1]
            if prev.properties.isAlphabetic || ("0"..."9").contains(prev) || prev == "_" { return nil }
        }
        var j = start + 1
        while j < chars.count {
            let c = chars[j]
            if c == "$" { return j }
            if !(c.properties.isAlphabetic || c == "_" || (j > start + 1 && ("0"..."9").contains(c))) { return nil }
            j += 1
        }
        return nil
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { line in
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty || trimmed.hasPrefix("--")
        }
    }
}
