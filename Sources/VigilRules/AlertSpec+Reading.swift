import VigilCore

extension AlertSpec {
    /// The members of a mapping of id -> settings, each with its own reader.
    static func entries(_ r: ConfigReader, _ key: String) -> [(id: String, reader: ConfigReader)] {
        guard let node = r.raw(key) else { return [] }
        guard let entries = node.entries else {
            r.error("'\(key)' must be a mapping of id to settings, found \(node.shapeName)", at: node.location)
            return []
        }
        return entries.map { ($0.key, ConfigReader($0.value, diagnostics: r.diagnostics)) }
    }

    /// `[[x, y], ...]`, reporting bad shapes at their position.
    static func points(_ r: ConfigReader, _ key: String) -> [Point]? {
        guard let node = r.raw(key) else { return nil }
        guard let items = node.items else {
            r.error("'\(key)' must be a list of [x, y] points, found \(node.shapeName)", at: node.location)
            return nil
        }
        var out: [Point] = []
        for item in items {
            guard let pair = item.items, pair.count == 2, let x = pair[0].scalar.flatMap(Double.init),
                  let y = pair[1].scalar.flatMap(Double.init), x.isFinite, y.isFinite else {
                r.error("a point of '\(key)' must be [x, y] with two numbers", at: item.location)
                return nil
            }
            out.append(Point(x, y))
        }
        return out
    }

    static func readZone(_ id: String, _ r: ConfigReader) -> ZoneDefinition {
        let space = r.choice("space", as: Space.self) ?? .pixels
        var polygon = Polygon([])
        if let corners = points(r, "polygon") {
            polygon = Polygon(corners)
            if corners.count < 3 {
                r.error("zone '\(id)': a polygon needs at least three corners", at: r.raw("polygon")?.location)
            } else if abs(polygon.doubleArea) < 1e-9 {
                r.error("zone '\(id)': the polygon has no area (its corners are on one line)", at: r.raw("polygon")?.location)
            }
        } else if !r.has("polygon") {
            r.missing("polygon")
        }
        let zone = ZoneDefinition(id: id, camera: r.string("camera"), space: space, polygon: polygon,
                                  anchor: r.choice("anchor", as: Anchor.self) ?? .bottomCenter,
                                  minInside: r.duration("min_inside") ?? 0.3, minOutside: r.duration("min_outside") ?? 0.5)
        r.finish()
        return zone
    }

    static func readLine(_ id: String, _ r: ConfigReader) -> LineDefinition {
        var segment = Segment(Point(0, 0), Point(0, 0))
        if let ends = points(r, "points") {
            if ends.count != 2 {
                r.error("line '\(id)': 'points' must be exactly two points", at: r.raw("points")?.location)
            } else if ends[0] == ends[1] {
                r.error("line '\(id)': its two points are the same", at: r.raw("points")?.location)
            } else {
                segment = Segment(ends[0], ends[1])
            }
        } else if !r.has("points") {
            r.missing("points")
        }
        let line = LineDefinition(id: id, camera: r.string("camera"), space: r.choice("space", as: Space.self) ?? .pixels,
                                  segment: segment, anchor: r.choice("anchor", as: Anchor.self) ?? .bottomCenter,
                                  band: r.double("band", in: 0...1e6) ?? 0, minSideTime: r.duration("min_side_time") ?? 0.3,
                                  extended: r.bool("extended") ?? false)
        r.finish()
        return line
    }

    enum RuleKind: String, CaseIterable {
        case zoneEnter = "zone_enter", zoneExit = "zone_exit", lineCross = "line_cross", dwell, crowd, absence, metric
    }

    static func readRule(_ id: String, _ r: ConfigReader, zones: [String], lines: [String]) -> RuleDefinition? {
        let kindName = r.choice("kind", as: RuleKind.self)
        if !r.has("kind") { r.missing("kind") }
        func reference(_ key: String, among ids: [String], what: String) -> String {
            guard let name = r.string(key) else {
                if !r.has(key) { r.missing(key) }
                return ""
            }
            if !ids.contains(name) {
                var message = "rule '\(id)': unknown \(what) '\(name)'"
                if let guess = Suggestion.closest(to: name, among: ids) { message += "; did you mean '\(guess)'?" }
                else if !ids.isEmpty { message += "; expected one of: \(ids.joined(separator: ", "))" }
                r.error(message, at: r.raw(key)?.location)
            }
            return name
        }
        func required(_ key: String) -> Double {
            if let v = r.duration(key) { return v }
            if !r.has(key) { r.missing(key) }
            return 0
        }
        var kind: RuleDefinition.Kind?
        switch kindName {
        case .zoneEnter?: kind = .zoneEnter(zone: reference("zone", among: zones, what: "zone"))
        case .zoneExit?: kind = .zoneExit(zone: reference("zone", among: zones, what: "zone"))
        case .lineCross?:
            let line = reference("line", among: lines, what: "line")
            kind = .lineCross(line: line, direction: (r.choice("direction", as: CrossingDirection.self) ?? .both).rawValue)
        case .dwell?:
            kind = .dwell(zone: reference("zone", among: zones, what: "zone"), seconds: required("for"),
                          maxGap: r.duration("max_gap") ?? 1)
        case .crowd?:
            let zone = reference("zone", among: zones, what: "zone")
            let count = r.int("count", in: 1...100_000) ?? 0
            if !r.has("count") { r.missing("count") }
            kind = .crowd(zone: zone, count: count, seconds: r.duration("for") ?? 0, hysteresis: r.int("hysteresis", in: 0...100_000) ?? 0,
                          clearFor: r.duration("clear_for") ?? 0)
        case .absence?:
            let zone = reference("zone", among: zones, what: "zone")
            kind = .absence(zone: zone, seconds: required("for"), schedule: readSchedule(r), clearFor: r.duration("clear_for") ?? 0)
        case .metric?:
            var text = ""
            if let node = r.raw("condition") {
                text = node.scalar ?? ""
                do { _ = try MetricExpression(parsing: text) } catch {
                    r.error("rule '\(id)': invalid condition '\(text)': \(error.description)", at: node.location)
                }
            } else {
                r.missing("condition")
            }
            kind = .metric(expression: text, seconds: r.duration("for") ?? 0, clearFor: r.duration("clear_for") ?? 0)
        case nil:
            break
        }
        let rule = kind.map {
            RuleDefinition(id: id, kind: $0, classes: r.stringList("classes").map(Set.init), camera: r.string("camera"),
                           anchor: r.choice("anchor", as: Anchor.self),
                           severity: r.choice("severity", as: Event.Severity.self) ?? (($0.isInstantaneous) ? .info : .warning),
                           cooldown: r.duration("cooldown") ?? 0, ruleCooldown: r.duration("rule_cooldown") ?? 0,
                           updateEvery: r.duration("update_every"), message: r.string("message"))
        }
        let enabled = r.bool("enabled") ?? true
        // With an unknown kind the other keys cannot be judged: only the kind is reported.
        if kindName != nil || !r.has("kind") { r.finish() }
        return enabled ? rule : nil
    }

    /// `schedule: {from: "08:00", to: "18:00", utc_offset: "+01:00"}`.
    static func readSchedule(_ r: ConfigReader) -> DailySchedule? {
        guard let s = r.nested("schedule") else { return nil }
        func clock(_ key: String, signed: Bool = false) -> Double? {
            guard let node = s.raw(key) else { return nil }
            var text = node.scalar ?? ""
            var sign = 1.0
            if signed, let first = text.first, first == "+" || first == "-" {
                sign = first == "-" ? -1 : 1
                text.removeFirst()
            }
            let parts = text.split(separator: ":").map { Int($0) }
            guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }), parts[0]! < 24 || (signed && parts[0]! <= 14),
                  parts[1]! < 60, parts.count == 2 || parts[2]! < 60 else {
                s.error("invalid value '\(node.scalar ?? node.shapeName)' for '\(key)': expected \(signed ? "+HH:MM" : "HH:MM or HH:MM:SS")",
                        at: node.location)
                return nil
            }
            return sign * Double(parts[0]! * 3600 + parts[1]! * 60 + (parts.count == 3 ? parts[2]! : 0))
        }
        let from = clock("from"), to = clock("to"), offset = clock("utc_offset", signed: true) ?? 0
        if !s.has("from") { s.missing("from") }
        if !s.has("to") { s.missing("to") }
        s.finish()
        guard let from, let to else { return nil }
        return DailySchedule(from: from, to: to, utcOffset: offset)
    }
}
