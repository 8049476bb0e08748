import Foundation
import VigilCore
import VigilRules

/// A camera's `zones` and `lines` as sent to the API (JSON objects of name -> settings, the shape of an
/// `alert` stage's keys). JSON types are checked here (a coordinate must be a JSON number, not "12");
/// everything else — at least three corners, an area, two distinct line ends, known keys and values —
/// by the alert stage's own reader (``CameraGeometry``). Problems are a 400 `invalid_geometry` naming
/// the field: `zones.walkway.polygon: zone 'walkway': a polygon needs at least three corners`.
enum CameraGeometryInput {
    static let maxShapes = 100
    static let maxPoints = 1000

    /// Checks both mappings; `hasHomography` says whether `space: map` can be used.
    static func check(zones: JSONValue?, lines: JSONValue?, hasHomography: Bool) throws {
        var problems: [String] = []
        if let zones { problems += shapes(zones, field: "zones", pointsKey: "polygon", keys: zoneKeys) }
        if let lines { problems += shapes(lines, field: "lines", pointsKey: "points", keys: lineKeys) }
        if problems.isEmpty {
            let sink = DiagnosticSink()
            let geometry = CameraGeometry(zones: zones.map { node($0, "zones") }, lines: lines.map { node($0, "lines") }, diagnostics: sink)
            problems += sink.diagnostics.map { d in d.location.map { "\($0.file): \(d.message)" } ?? d.message }
            if sink.diagnostics.isEmpty, geometry.usesMap, !hasHomography {
                problems.append("space: map needs the camera's homography (set homography first)")
            }
        }
        guard problems.isEmpty else {
            throw APIError.badRequest(problems.prefix(10).joined(separator: "; "), code: "invalid_geometry")
        }
    }

    private enum Kind { case points, duration, number, bool, text }
    private static let zoneKeys: [String: Kind] = ["polygon": .points, "space": .text, "anchor": .text, "min_inside": .duration, "min_outside": .duration]
    private static let lineKeys: [String: Kind] = ["points": .points, "space": .text, "anchor": .text, "band": .number,
                                                   "min_side_time": .duration, "extended": .bool]

    /// JSON shape: an object of named objects whose values have the JSON types the keys need.
    private static func shapes(_ value: JSONValue, field: String, pointsKey: String, keys: [String: Kind]) -> [String] {
        guard case .object(let named) = value else { return ["\(field): expected an object of name -> settings"] }
        guard named.count <= maxShapes else { return ["\(field): at most \(maxShapes)"] }
        var problems: [String] = []
        for (name, settings) in named.sorted(by: { $0.key < $1.key }) {
            let at = "\(field).\(name)"
            guard (1...64).contains(name.count), !name.contains(where: { $0.isNewline || $0 == "\0" || $0 == "," }) else {
                problems.append("\(field): a name is 1 to 64 characters on one line, without commas"); continue
            }
            guard case .object(let entries) = settings else { problems.append("\(at): expected an object"); continue }
            if entries[pointsKey] == nil { problems.append("\(at): missing \(pointsKey)") }
            for (key, v) in entries.sorted(by: { $0.key < $1.key }) {
                guard let kind = keys[key] else {
                    problems.append("\(at): unknown key '\(key)' (known: \(keys.keys.sorted().joined(separator: ", ")))"); continue
                }
                if let problem = typeProblem(v, kind) { problems.append("\(at).\(key): \(problem)") }
            }
        }
        return problems
    }

    private static func typeProblem(_ value: JSONValue, _ kind: Kind) -> String? {
        switch (kind, value) {
        case (.points, .array(let items)):
            guard items.count <= maxPoints else { return "at most \(maxPoints) points" }
            for item in items {
                guard case .array(let pair) = item, pair.count == 2 else { return "each point must be [x, y]" }
                for c in pair { guard case .number = c else { return "each point must be [x, y] with two numbers" } }
            }
            return nil
        case (.points, _): return "expected a list of [x, y] points"
        case (.duration, .number), (.duration, .string), (.number, .number), (.bool, .bool), (.text, .string): return nil
        case (.duration, _): return "expected seconds or a duration such as 500ms"
        case (.number, _): return "expected a number"
        case (.bool, _): return "expected true or false"
        case (.text, _): return "expected a string"
        }
    }

    /// The JSON as a configuration node; each node's location names its JSON path (`zones.walkway.polygon`).
    static func node(_ value: JSONValue, _ path: String) -> ConfigNode {
        let here = SourceLocation(file: path, line: 1, column: 1)
        switch value {
        case .null: return ConfigNode(.null, at: here)
        case .bool(let v): return ConfigNode(.scalar(v ? "true" : "false"), at: here)
        case .number(let v): return ConfigNode(.scalar("\(v)"), at: here)
        case .string(let v): return ConfigNode(.scalar(v), at: here)
        case .array(let items): return ConfigNode(.sequence(items.enumerated().map { node($1, "\(path)[\($0)]") }), at: here)
        case .object(let entries):
            return ConfigNode(.mapping(entries.sorted { $0.key < $1.key }.map {
                ConfigNode.Entry(key: $0.key, keyLocation: here, value: node($0.value, "\(path).\($0.key)"))
            }), at: here)
        }
    }
}
