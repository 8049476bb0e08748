import Foundation
import VigilCore

extension AlertEngine {
    // MARK: Lines

    /// One track against every line: its side, and the crossings it completes.
    mutating func observeLines(_ track: TrackPoint, memo: inout TrackMemo, slots: [Slot], source: String, time: Double,
                               scratch: inout Scratch) -> [AlertOutput] {
        var out: [AlertOutput] = []
        for entry in slots {
            let l = entry.shape, anchor = entry.anchor, slot = entry.slot
            do {
                guard let p = point(track, space: lineGeometry[l].space, anchor: anchor) else { continue }
                if memo.crossings[slot] == nil { memo.crossings[slot] = LineCrossingState() }
                let crossed = memo.crossings[slot]!.observe(p, at: time, on: lineGeometry[l].geometry)   // in place
                guard let crossed else { continue }
                let line = configuration.lines[l]
                let direction = CrossingDirection.of(crossed)
                if anchor == line.anchor {
                    scratch.crossingCounts["\(line.id)|\(direction.rawValue)|\(track.label)", default: 0] += 1
                }
                let inCount = scratch.crossingCounts["\(line.id)|in|\(track.label)"] ?? 0
                let outCount = scratch.crossingCounts["\(line.id)|out|\(track.label)"] ?? 0
                for (r, rule) in configuration.rules.enumerated() where ruleLine[r] == l && ruleAnchor[r] == anchor
                    && applies(r, source: source) && counts(rule, label: track.label) {
                    guard case .lineCross(_, let wanted) = rule.kind,
                          (CrossingDirection(rawValue: wanted) ?? .both).counts(crossed) else { continue }
                    let facts = AlertBook.Facts(trackID: track.trackID, globalID: track.globalID, label: track.label,
                                                line: line.id, direction: direction.rawValue,
                                                attributes: ["count_in": "\(inCount)", "count_out": "\(outCount)"])
                    out += instant(rule, source: source, subject: "t\(track.trackID)", at: crossed.at, memo: memo,
                                   track: track.trackID, facts: facts, drawing: shape(line: l))
                }
            }
        }
        return out
    }

    // MARK: Occupancy: crowd and absence

    /// How many tracks are in zone `z` (by `anchor`) on this frame among those counted by `filter`.
    func occupants(zone z: Int, anchor: Anchor, state: SourceState, filter: (String) -> Bool) -> Int {
        state.inside[zoneSlot(z, anchor)].reduce(0) { $0 + (filter($1.label) ? 1 : 0) }
    }

    mutating func updateOccupancy(frame: inout AnnotatedFrame, source: String, time: Double,
                                  state: inout SourceState) -> [AlertOutput] {
        for entry in state.zoneSlots where entry.anchor == configuration.zones[entry.shape].anchor {
            frame.measurements[occupancyKeys[entry.shape]] = Double(state.inside[entry.slot].count)
        }
        var out: [AlertOutput] = []
        let unix = frame.info.captureTime?.timeIntervalSince1970 ?? ((configuration.timeOrigins[source] ?? configuration.timeOrigin) + time)
        for (r, rule) in configuration.rules.enumerated() where applies(r, source: source) {
            let on: Bool, off: Bool, value: Double, zoneID: String, forSeconds: Double, clearFor: Double
            switch rule.kind {
            case .crowd(let id, let n, let seconds, let hysteresis, let clear):
                guard let z = ruleZone[r] else { continue }
                let count = occupants(zone: z, anchor: ruleAnchor[r], state: state) { counts(rule, label: $0) }
                (on, off, value, zoneID, forSeconds, clearFor) = (count >= n, count < n - hysteresis, Double(count), id, seconds, clear)
            case .absence(let id, let seconds, let schedule, let clear):
                guard let z = ruleZone[r] else { continue }
                let empty = occupants(zone: z, anchor: ruleAnchor[r], state: state) { counts(rule, label: $0) } == 0
                let scheduled = schedule?.contains(unixSeconds: unix) ?? true
                (on, off, value, zoneID, forSeconds, clearFor) = (empty && scheduled, !empty || !scheduled, 0, id, seconds, clear)
            default:
                continue
            }
            var timer = state.timers[r] ?? HoldTimer(forSeconds: forSeconds, clearFor: clearFor)
            let edge = timer.observe(on: on, off: off, at: time)
            state.timers[r] = timer
            out += timed(rule, edge: edge, active: timer.active, source: source, subject: "z\(zoneID)", time: time,
                         value: value, facts: .init(zone: zoneID), drawing: ruleZone[r].flatMap { shape(zone: $0) },
                         valueIsDuration: { if case .absence = rule.kind { true } else { false } }())
        }
        return out
    }

    /// Start, update or end of a rule driven by a ``HoldTimer``.
    mutating func timed(_ rule: RuleDefinition, edge: HoldTimer.Edge?, active: Bool, source: String,
                        subject: String, time: Double, value: Double?, facts: AlertBook.Facts,
                        drawing: (points: [Point], closed: Bool)?, valueIsDuration: Bool = false) -> [AlertOutput] {
        let key = AlertBook.Key(rule: rule.id, source: source, subject: subject)
        switch edge {
        case .start(let since)?:
            var facts = facts
            facts.value = valueIsDuration ? time - since : value
            facts.attributes["condition_since"] = Self.seconds(since)
            guard let start = book.start(key, rule: rule, at: time, facts: facts) else { return [] }
            return [AlertOutput(event: start, evidence: EvidenceSubject(box: nil, polygon: drawing?.points ?? [],
                                                                        closed: drawing?.closed ?? true))]
        case .end?:
            return book.end(key, rule: rule, at: time).map { [AlertOutput(event: $0, evidence: nil)] } ?? []
        case nil:
            guard active else { return [] }
            let current = valueIsDuration ? nil : value
            return book.update(key, rule: rule, at: time, value: current).map { [AlertOutput(event: $0, evidence: nil)] } ?? []
        }
    }

    // MARK: Metrics

    mutating func updateMetrics(_ frame: AnnotatedFrame, source: String, time: Double, state: inout SourceState) -> [AlertOutput] {
        var out: [AlertOutput] = []
        for (r, rule) in configuration.rules.enumerated() where applies(r, source: source) {
            guard case .metric(_, let seconds, let clearFor) = rule.kind, let expression = expressions[r] else { continue }
            var evaluator = state.evaluators[r] ?? MetricEvaluator(expression)
            let (holds, value) = evaluator.evaluate(frame.measurements, at: time)
            state.evaluators[r] = evaluator
            var timer = state.timers[r] ?? HoldTimer(forSeconds: seconds, clearFor: clearFor)
            let edge = timer.observe(on: holds == true, off: holds != true, at: time)
            state.timers[r] = timer
            var facts = AlertBook.Facts(value: value)
            facts.attributes["expression"] = expression.text
            if case .start? = edge {
                for name in configuration.measurements {
                    if let measured = frame.measurements[name], measured.isFinite { facts.attributes[name] = Self.measurement(measured) }
                }
            }
            // A metric alert keeps the value it had while it held, not the one that cleared it.
            let reported = holds == true ? value : nil
            out += timed(rule, edge: edge, active: timer.active, source: source, subject: "camera", time: time,
                         value: reported, facts: facts, drawing: nil)
        }
        return out
    }

    // MARK: Tracks that leave

    /// A track is gone (unseen too long, or its id reused): it leaves its zones at its last sighting,
    /// its dwell ends, its line state is dropped.
    mutating func forget(_ id: Int, source: String, state: inout SourceState) -> [AlertOutput] {
        guard let memo = state.tracks[id] else { return [] }
        var out: [AlertOutput] = []
        for (z, anchors) in zoneAnchors.enumerated() {
            for anchor in anchors {
                guard var membership = memo.memberships[zoneSlot(z, anchor)] else { continue }
                if let transition = membership.vanish(at: memo.lastSeen) {
                    out += zoneTransition(transition, zone: z, anchor: anchor, track: id, memo: memo, source: source)
                }
            }
        }
        for key in state.dwell.keys.filter({ $0.track == id }).sorted(by: { $0.rule < $1.rule }) {
            let session = state.dwell[key]!
            state.dwellKeys[key.rule]?.remove(id)
            let rule = configuration.rules[key.rule]
            if let end = book.end(.init(rule: rule.id, source: source, subject: "t\(id)"), rule: rule, at: session.lastInside,
                                  value: session.lastInside - session.start, reason: "track_lost") {
                out.append(AlertOutput(event: end, evidence: nil))
            }
            state.dwell[key] = nil
        }
        state.tracks[id] = nil
        return out
    }

    /// Ends every active alert of `source` at `time`.
    mutating func endAll(source: String, state: inout SourceState, at time: Double, reason: String) -> [AlertOutput] {
        var out: [AlertOutput] = []
        for id in state.tracks.keys.sorted() { out += forget(id, source: source, state: &state) }
        for key in book.activeKeys(source: source) {
            guard let rule = configuration.rules.first(where: { $0.id == key.rule }) else { continue }
            if let end = book.end(key, rule: rule, at: time, reason: reason) { out.append(AlertOutput(event: end, evidence: nil)) }
        }
        for r in state.timers.keys { _ = state.timers[r]?.reset() }
        return out
    }
}
