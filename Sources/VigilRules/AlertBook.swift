import Foundation
import VigilCore

/// The lifecycle of every alert of one stage: stable ids, cooldowns, rate-limited updates, the peak
/// value and the message. Rules say when something starts and ends; the book decides which of those
/// become events. Pure: driven by media time.
struct AlertBook {
    /// What an alert is about: a track, a zone, or the camera as a whole.
    struct Key: Hashable {
        var rule: String
        var source: String
        var subject: String
    }

    /// The facts a message template and an event carry.
    struct Facts {
        var trackID: Int?
        var globalID: Int?
        var label: String?
        var zone: String?
        var line: String?
        var direction: String?
        var value: Double?
        var attributes: [String: String] = [:]
    }

    private struct Active {
        var id: String
        var start: Double
        var peak: Double?
        var lastUpdate: Double
        var facts: Facts
        /// Started during a cooldown: the rule is satisfied but nothing is reported until it ends.
        var suppressed: Bool
    }

    private var active: [Key: Active] = [:]
    private var lastEnded: [Key: Double] = [:]
    private var lastRuleStart: [String: Double] = [:]
    let subject: String?

    init(subject: String?) { self.subject = subject }

    /// The `start` event, or `nil` when a cooldown holds it back (the alert is then tracked silently).
    mutating func start(_ key: Key, rule: RuleDefinition, at time: Double, facts: Facts) -> Event? {
        guard active[key] == nil else { return nil }
        let ruleKey = key.rule + "\u{1}" + key.source
        var suppressed = false
        if let ended = lastEnded[key], !reached(time - ended, rule.cooldown) { suppressed = true }
        if let started = lastRuleStart[ruleKey], !reached(time - started, rule.ruleCooldown) { suppressed = true }
        let id = "\(key.rule)/\(key.source)/\(key.subject)/\(Int((time * 1000).rounded()))"
        active[key] = Active(id: id, start: time, peak: facts.value, lastUpdate: time, facts: facts, suppressed: suppressed)
        guard !suppressed else { return nil }
        lastRuleStart[ruleKey] = time
        return event(key, rule: rule, phase: .start, at: time)
    }

    /// An `update` when the rule asks for them and `updateEvery` has passed since the last one.
    mutating func update(_ key: Key, rule: RuleDefinition, at time: Double, value: Double?) -> Event? {
        guard var alert = active[key] else { return nil }
        if let value {
            alert.facts.value = value
            alert.peak = max(alert.peak ?? value, value)
        }
        defer { active[key] = alert }
        guard let every = rule.updateEvery, !alert.suppressed, reached(time - alert.lastUpdate, every) else { return nil }
        alert.lastUpdate = time
        active[key] = alert
        return event(key, rule: rule, phase: .update, at: time)
    }

    /// The `end` event (or `nil` for a suppressed alert); the subject's cooldown starts.
    mutating func end(_ key: Key, rule: RuleDefinition, at time: Double, value: Double? = nil, reason: String? = nil) -> Event? {
        guard var alert = active[key] else { return nil }
        if let value {
            alert.facts.value = value
            alert.peak = max(alert.peak ?? value, value)
        }
        if let reason { alert.facts.attributes["end_reason"] = reason }
        active[key] = alert
        defer {
            active[key] = nil
            // The cooldown runs from the last alert reported, not from one it held back.
            if !alert.suppressed { lastEnded[key] = time }
        }
        return alert.suppressed ? nil : event(key, rule: rule, phase: .end, at: time)
    }

    /// Keys of the active alerts of `source` matching `filter`.
    func activeKeys(source: String, where filter: (Key) -> Bool = { _ in true }) -> [Key] {
        active.keys.filter { $0.source == source && filter($0) }.sorted { ($0.rule, $0.subject) < ($1.rule, $1.subject) }
    }

    private func event(_ key: Key, rule: RuleDefinition, phase: Event.Phase, at time: Double) -> Event {
        let alert = active[key]!
        var attributes = alert.facts.attributes
        if let subject { attributes["subject"] = subject }
        if let line = alert.facts.line { attributes["line"] = line }
        if let direction = alert.facts.direction { attributes["direction"] = direction }
        if let label = alert.facts.label { attributes["class"] = label }
        let duration = time - alert.start
        return Event(time: MediaTime(seconds: time), sourceID: key.source, rule: key.rule, kind: rule.kind.name,
                     severity: rule.severity, trackID: alert.facts.trackID, globalID: alert.facts.globalID,
                     zone: alert.facts.zone,
                     message: Self.render(rule.message, rule: key.rule, source: key.source, facts: alert.facts, duration: duration),
                     attributes: attributes, alertID: alert.id, phase: phase, startTime: MediaTime(seconds: alert.start),
                     value: alert.facts.value, peakValue: alert.peak)
    }

    /// Fills `{camera} {zone} {line} {track} {class} {direction} {duration} {value} {rule}`; other names stay.
    static func render(_ template: String, rule: String, source: String, facts: Facts, duration: Double) -> String {
        func value(_ name: Substring) -> String? {
            switch name {
            case "camera": source
            case "rule": rule
            case "zone": facts.zone ?? "-"
            case "line": facts.line ?? "-"
            case "track": facts.trackID.map { "#\($0)" } ?? "-"
            case "class": facts.label ?? "object"
            case "direction": facts.direction ?? "-"
            case "duration": String(format: "%.1f s", duration)
            case "value": facts.value.map { $0 == $0.rounded() && abs($0) < 1e9 ? String(Int($0)) : String(format: "%.3g", $0) } ?? "-"
            default: nil
            }
        }
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                out += rest[open...]
                return out
            }
            let name = rest[rest.index(after: open)..<close]
            out += value(name) ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
