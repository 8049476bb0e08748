import Foundation
import VigilCore

extension AlertEngine {
    // MARK: Lines

    /// Anchors in use for line `l`.
    func anchors(line l: Int) -> Set<Anchor> {
        var set: Set<Anchor> = [configuration.lines[l].anchor]
        for rule in configuration.rules {
            if case .lineCross(let id, _) = rule.kind, id == configuration.lines[l].id { set.insert(anchor(of: rule)) }
        }
        return set
    }

    mutating func updateLines(_ tracks: [TrackPoint], source: String, time: Double, state: inout SourceState) -> [AlertOutput] {
        var out: [AlertOutput] = []
        for (l, line) in configuration.lines.enumerated() where line.camera.map({ $0 == source }) ?? true {
            for anchor in anchors(line: l).sorted(by: { $0.rawValue < $1.rawValue }) {
                for track in tracks {
                    guard let p = point(track, space: line.space, anchor: anchor) else { continue }
                    let key = MembershipKey(shape: l, anchor: anchor, track: track.trackID)
                    var crossing = state.crossings[key] ?? LineCrossingState(line: line.segment, band: line.band,
                                                                             minSideTime: line.minSideTime, extended: line.extended)
                    let crossed = crossing.observe(p, at: time)
                    state.crossings[key] = crossing
                    guard let crossed else { continue }
                    let direction = CrossingDirection.of(crossed)
                    if anchor == line.anchor {
                        state.crossingCounts["\(line.id)|\(direction.rawValue)|\(track.label)", default: 0] += 1
                    }
                    let inCount = state.crossingCounts["\(line.id)|in|\(track.label)"] ?? 0
                    let outCount = state.crossingCounts["\(line.id)|out|\(track.label)"] ?? 0
                    for rule in configuration.rules where applies(rule, source: source) && self.anchor(of: rule) == anchor
                        && counts(rule, label: track.label) {
                        guard case .lineCross(let id, let wanted) = rule.kind, id == line.id,
                              (CrossingDirection(rawValue: wanted) ?? .both).counts(crossed) else { continue }
                        let facts = AlertBook.Facts(trackID: track.trackID, globalID: track.globalID, label: track.label,
                                                    line: line.id, direction: direction.rawValue,
                                                    attributes: ["count_in": "\(inCount)", "count_out": "\(outCount)"])
                        out += instant(rule, source: source, subject: "t\(track.trackID)", at: crossed.at,
                                       memo: state.tracks[track.trackID], track: track.trackID, facts: facts,
                                       drawing: shape(line: l))
                    }
                }
            }
        }
        return out
    }

    // MARK: Occupancy: crowd and absence

    /// Tracks inside zone `z` (by `anchor`) among those counted by `filter`.
    func occupants(zone z: Int, anchor: Anchor, state: SourceState, time: Double, filter: (String) -> Bool) -> [Int] {
        state.tracks.filter { id, memo in
            memo.lastSeen == time && filter(memo.label)
                && state.memberships[MembershipKey(shape: z, anchor: anchor, track: id)]?.isInside == true
        }.keys.sorted()
    }

    mutating func updateOccupancy(_ tracks: [TrackPoint], frame: inout AnnotatedFrame, source: String, time: Double,
                                  state: inout SourceState) -> [AlertOutput] {
        for (z, zone) in configuration.zones.enumerated() where zone.camera.map({ $0 == source }) ?? true {
            frame.measurements["occupancy.\(zone.id)"] = Double(occupants(zone: z, anchor: zone.anchor, state: state,
                                                                         time: time, filter: { _ in true }).count)
        }
        var out: [AlertOutput] = []
        let unix = frame.info.captureTime?.timeIntervalSince1970 ?? (configuration.timeOrigin + time)
        for (r, rule) in configuration.rules.enumerated() where applies(rule, source: source) {
            let on: Bool, off: Bool, value: Double, zoneID: String, forSeconds: Double, clearFor: Double
            switch rule.kind {
            case .crowd(let id, let n, let seconds, let hysteresis, let clear):
                guard let z = zoneIndex(id) else { continue }
                let count = occupants(zone: z, anchor: anchor(of: rule), state: state, time: time) { counts(rule, label: $0) }.count
                (on, off, value, zoneID, forSeconds, clearFor) = (count >= n, count < n - hysteresis, Double(count), id, seconds, clear)
            case .absence(let id, let seconds, let schedule, let clear):
                guard let z = zoneIndex(id) else { continue }
                let empty = occupants(zone: z, anchor: anchor(of: rule), state: state, time: time) { counts(rule, label: $0) }.isEmpty
                let scheduled = schedule?.contains(unixSeconds: unix) ?? true
                (on, off, value, zoneID, forSeconds, clearFor) = (empty && scheduled, !empty || !scheduled, 0, id, seconds, clear)
            default:
                continue
            }
            var timer = state.timers[r] ?? HoldTimer(forSeconds: forSeconds, clearFor: clearFor)
            let edge = timer.observe(on: on, off: off, at: time)
            state.timers[r] = timer
            out += timed(rule, index: r, edge: edge, active: timer.active, source: source, subject: "z\(zoneID)", time: time,
                         value: value, facts: .init(zone: zoneID), drawing: zoneIndex(zoneID).flatMap { shape(zone: $0) },
                         valueIsDuration: { if case .absence = rule.kind { true } else { false } }())
        }
        return out
    }

    /// Start, update or end of a rule driven by a ``HoldTimer``.
    mutating func timed(_ rule: RuleDefinition, index r: Int, edge: HoldTimer.Edge?, active: Bool, source: String,
                        subject: String, time: Double, value: Double, facts: AlertBook.Facts,
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
        for (r, rule) in configuration.rules.enumerated() where applies(rule, source: source) {
            guard case .metric(_, let seconds, let clearFor) = rule.kind, let expression = expressions[r] else { continue }
            var evaluator = state.evaluators[r] ?? MetricEvaluator(expression)
            let (holds, value) = evaluator.evaluate(frame.measurements, at: time)
            state.evaluators[r] = evaluator
            var timer = state.timers[r] ?? HoldTimer(forSeconds: seconds, clearFor: clearFor)
            let edge = timer.observe(on: holds == true, off: holds != true, at: time)
            state.timers[r] = timer
            var facts = AlertBook.Facts(value: value)
            facts.attributes["expression"] = expression.text
            // A metric alert ends with the value it had while it held, not the one that cleared it.
            let reported = holds == true ? (value ?? 0) : (book.isActive(.init(rule: rule.id, source: source, subject: "camera"))
                ? nil : value) ?? 0
            out += timed(rule, index: r, edge: edge, active: timer.active, source: source, subject: "camera", time: time,
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
        for key in state.memberships.keys.filter({ $0.track == id }).sorted(by: { ($0.shape, $0.anchor.rawValue) < ($1.shape, $1.anchor.rawValue) }) {
            var membership = state.memberships[key]!
            if let transition = membership.vanish(at: memo.lastSeen) {
                out += zoneTransition(transition, zone: key.shape, anchor: key.anchor, track: id, source: source, state: state)
            }
            state.memberships[key] = nil
        }
        for key in state.dwell.keys.filter({ $0.track == id }).sorted(by: { $0.rule < $1.rule }) {
            let session = state.dwell[key]!
            let rule = configuration.rules[key.rule]
            if let end = book.end(.init(rule: rule.id, source: source, subject: "t\(id)"), rule: rule, at: session.lastInside,
                                  value: session.lastInside - session.start, reason: "track_lost") {
                out.append(AlertOutput(event: end, evidence: nil))
            }
            state.dwell[key] = nil
        }
        for key in state.crossings.keys where key.track == id { state.crossings[key] = nil }
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
