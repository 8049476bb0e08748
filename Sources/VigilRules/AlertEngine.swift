import Foundation
public import VigilCore

/// What to draw on the evidence of an alert's start.
public struct EvidenceSubject: Sendable {
    /// The object's box, in source pixels.
    public var box: BoundingBox?
    /// The zone or line, when drawn in pixels.
    public var polygon: [Point]
    public var closed: Bool
}

/// One decision of the engine: an event, and for a `start` what its evidence shows.
public struct AlertOutput: Sendable {
    public var event: Event
    public var evidence: EvidenceSubject?
}

/// The rule engine of the `alert` stage, without I/O: frames (with confirmed tracks and measurements)
/// in, alert events out, in media time, so the same file gives the same alerts in batch and in stream
/// mode. One state per camera; a camera whose media time jumps back (a looped file) starts over.
public struct AlertEngine {
    public let configuration: AlertConfiguration
    var book: AlertBook
    var sources: [String: SourceState] = [:]
    let expressions: [Int: MetricExpression]

    struct TrackMemo {
        var lastSeen: Double
        var age: Double
        var label: String
        var box: BoundingBox
        var globalID: Int?
    }

    struct DwellSession {
        var start: Double
        var lastInside: Double
    }

    struct SourceState {
        var lastTime = -Double.infinity
        var tracks: [Int: TrackMemo] = [:]
        /// (zone index, anchor, track id)
        var memberships: [MembershipKey: ZoneMembership] = [:]
        /// (line index, anchor, track id)
        var crossings: [MembershipKey: LineCrossingState] = [:]
        /// (rule index, track id)
        var dwell: [RuleTrack: DwellSession] = [:]
        var timers: [Int: HoldTimer] = [:]
        var evaluators: [Int: MetricEvaluator] = [:]
        /// Crossings so far by "line|direction|class".
        var crossingCounts: [String: Int] = [:]
    }

    struct MembershipKey: Hashable {
        var shape: Int
        var anchor: Anchor
        var track: Int
    }

    struct RuleTrack: Hashable {
        var rule: Int
        var track: Int
    }

    /// Throws when a `metric` rule's expression does not parse (specs check this first).
    public init(_ configuration: AlertConfiguration) throws(VigilError) {
        self.configuration = configuration
        book = AlertBook(subject: configuration.subject)
        var expressions: [Int: MetricExpression] = [:]
        for (i, rule) in configuration.rules.enumerated() {
            guard case .metric(let text, _, _) = rule.kind else { continue }
            do {
                expressions[i] = try MetricExpression(parsing: text)
            } catch {
                throw VigilError(.invalidPipeline, "rule '\(rule.id)': \(error.description)", subject: text)
            }
        }
        self.expressions = expressions
    }

    func zoneIndex(_ id: String) -> Int? { configuration.zones.firstIndex { $0.id == id } }
    func lineIndex(_ id: String) -> Int? { configuration.lines.firstIndex { $0.id == id } }

    func applies(_ rule: RuleDefinition, source: String) -> Bool {
        if let camera = rule.camera, camera != source { return false }
        switch rule.kind {
        case .zoneEnter(let z), .zoneExit(let z), .dwell(let z, _, _), .crowd(let z, _, _, _, _), .absence(let z, _, _, _):
            guard let i = zoneIndex(z) else { return false }
            return configuration.zones[i].camera.map { $0 == source } ?? true
        case .lineCross(let l, _):
            guard let i = lineIndex(l) else { return false }
            return configuration.lines[i].camera.map { $0 == source } ?? true
        case .metric:
            return true
        }
    }

    func counts(_ rule: RuleDefinition, label: String) -> Bool { rule.classes?.contains(label) ?? true }

    func anchor(of rule: RuleDefinition) -> Anchor {
        if let anchor = rule.anchor { return anchor }
        switch rule.kind {
        case .zoneEnter(let z), .zoneExit(let z), .dwell(let z, _, _), .crowd(let z, _, _, _, _), .absence(let z, _, _, _):
            return zoneIndex(z).map { configuration.zones[$0].anchor } ?? .bottomCenter
        case .lineCross(let l, _):
            return lineIndex(l).map { configuration.lines[$0].anchor } ?? .bottomCenter
        case .metric:
            return .bottomCenter
        }
    }

    /// Feeds one frame: updates every rule, writes the occupancy of each zone into the frame's
    /// measurements (`occupancy.<zone>`), and returns the events it decided, in order.
    public mutating func process(_ frame: inout AnnotatedFrame) -> [AlertOutput] {
        let source = frame.info.sourceID
        let time = frame.info.time.seconds
        var out: [AlertOutput] = []
        var state = sources[source] ?? SourceState()
        if time < state.lastTime - 1e-9 {
            out += endAll(source: source, state: &state, at: state.lastTime, reason: "timeline_restart")
            state = SourceState()
        }
        state.lastTime = time
        let confirmed = frame.tracks.filter { $0.state == .confirmed }
        let present = Set(confirmed.map(\.trackID))

        // Tracks that are gone, or whose id came back on a new object (its age went back), leave first.
        for track in confirmed {
            if let memo = state.tracks[track.trackID], track.age + 1e-6 < memo.age {
                out += forget(track.trackID, source: source, state: &state)
            }
        }
        for (id, memo) in state.tracks where !present.contains(id) && time - memo.lastSeen > configuration.forgetAfter {
            out += forget(id, source: source, state: &state)
        }
        for track in confirmed {
            state.tracks[track.trackID] = TrackMemo(lastSeen: time, age: track.age, label: track.label, box: track.box,
                                                    globalID: track.globalID)
        }

        out += updateZones(confirmed, source: source, time: time, state: &state)
        out += updateDwell(source: source, time: time, state: &state)
        out += updateLines(confirmed, source: source, time: time, state: &state)
        out += updateOccupancy(confirmed, frame: &frame, source: source, time: time, state: &state)
        out += updateMetrics(frame, source: source, time: time, state: &state)
        sources[source] = state
        return out
    }

    /// Ends every active alert at the last frame of each camera (end of the input).
    public mutating func finish() -> [AlertOutput] {
        var out: [AlertOutput] = []
        for source in sources.keys.sorted() {
            var state = sources[source]!
            out += endAll(source: source, state: &state, at: state.lastTime, reason: "end_of_stream")
            sources[source] = state
        }
        return out
    }

    // MARK: Zones

    func point(_ track: TrackPoint, space: Space, anchor: Anchor) -> Point? {
        switch space {
        case .pixels: return anchor.point(of: track.box)
        case .map:
            guard let x = track.mapX, let y = track.mapY else { return nil }
            return Point(x, y)
        }
    }

    /// Anchors in use for zone `z`: its own (occupancy) and those of its rules.
    func anchors(zone z: Int) -> Set<Anchor> {
        var set: Set<Anchor> = [configuration.zones[z].anchor]
        for rule in configuration.rules {
            switch rule.kind {
            case .zoneEnter(let id), .zoneExit(let id), .dwell(let id, _, _), .crowd(let id, _, _, _, _), .absence(let id, _, _, _):
                if id == configuration.zones[z].id { set.insert(anchor(of: rule)) }
            default: break
            }
        }
        return set
    }

    mutating func updateZones(_ tracks: [TrackPoint], source: String, time: Double,
                                      state: inout SourceState) -> [AlertOutput] {
        var out: [AlertOutput] = []
        for (z, zone) in configuration.zones.enumerated() where zone.camera.map({ $0 == source }) ?? true {
            for anchor in anchors(zone: z).sorted(by: { $0.rawValue < $1.rawValue }) {
                for track in tracks {
                    guard let p = point(track, space: zone.space, anchor: anchor) else { continue }
                    let key = MembershipKey(shape: z, anchor: anchor, track: track.trackID)
                    var membership = state.memberships[key] ?? ZoneMembership(minInside: zone.minInside, minOutside: zone.minOutside)
                    let transition = membership.observe(inside: zone.polygon.contains(p), at: time)
                    state.memberships[key] = membership
                    if let transition {
                        out += zoneTransition(transition, zone: z, anchor: anchor, track: track.trackID, source: source,
                                              state: state)
                    }
                }
            }
        }
        return out
    }

    mutating func zoneTransition(_ transition: ZoneMembership.Transition, zone z: Int, anchor: Anchor, track: Int,
                                         source: String, state: SourceState) -> [AlertOutput] {
        guard let memo = state.tracks[track] else { return [] }
        var out: [AlertOutput] = []
        let zoneID = configuration.zones[z].id
        for rule in configuration.rules where applies(rule, source: source) && self.anchor(of: rule) == anchor
            && counts(rule, label: memo.label) {
            let at: Double
            var facts = AlertBook.Facts(trackID: track, globalID: memo.globalID, label: memo.label, zone: zoneID)
            switch (rule.kind, transition) {
            case (.zoneEnter(let id), .entered(let t)) where id == zoneID: at = t
            case (.zoneExit(let id), .exited(let t, let entered)) where id == zoneID:
                at = t
                facts.value = t - entered
                facts.attributes["dwell_seconds"] = Self.seconds(t - entered)
            default: continue
            }
            out += instant(rule, source: source, subject: "t\(track)", at: at, memo: memo, track: track,
                           facts: facts, drawing: shape(zone: z))
        }
        return out
    }

    func shape(zone z: Int) -> (points: [Point], closed: Bool)? {
        let zone = configuration.zones[z]
        return zone.space == .pixels ? (zone.polygon.corners, true) : nil
    }

    func shape(line l: Int) -> (points: [Point], closed: Bool)? {
        let line = configuration.lines[l]
        return line.space == .pixels ? ([line.segment.a, line.segment.b], false) : nil
    }

    /// A start and an end at the same time, for rules without duration.
    mutating func instant(_ rule: RuleDefinition, source: String, subject: String, at time: Double, memo: TrackMemo?,
                                  track: Int?, facts: AlertBook.Facts, drawing: (points: [Point], closed: Bool)?) -> [AlertOutput] {
        let key = AlertBook.Key(rule: rule.id, source: source, subject: subject)
        guard let start = book.start(key, rule: rule, at: time, facts: facts) else {
            _ = book.end(key, rule: rule, at: time)
            return []
        }
        let evidence = EvidenceSubject(box: memo?.box, polygon: drawing?.points ?? [], closed: drawing?.closed ?? false)
        var out = [AlertOutput(event: start, evidence: evidence)]
        if let end = book.end(key, rule: rule, at: time) { out.append(AlertOutput(event: end, evidence: nil)) }
        return out
    }

    // MARK: Dwell

    mutating func updateDwell(source: String, time: Double, state: inout SourceState) -> [AlertOutput] {
        var out: [AlertOutput] = []
        for (r, rule) in configuration.rules.enumerated() where applies(rule, source: source) {
            guard case .dwell(let zoneID, let threshold, let maxGap) = rule.kind, let z = zoneIndex(zoneID) else { continue }
            let anchor = self.anchor(of: rule)
            // Sessions of tracks inside now.
            for (id, memo) in state.tracks where counts(rule, label: memo.label) {
                let key = MembershipKey(shape: z, anchor: anchor, track: id)
                guard let membership = state.memberships[key], membership.isInside, memo.lastSeen == time,
                      membership.lastInsideAt == time, let entered = membership.enteredAt else { continue }
                let sessionKey = RuleTrack(rule: r, track: id)
                var session = state.dwell[sessionKey] ?? DwellSession(start: entered, lastInside: time)
                session.lastInside = time
                state.dwell[sessionKey] = session
            }
            // Every session: end it after a gap longer than max_gap, else start or update its alert.
            for (sessionKey, session) in state.dwell where sessionKey.rule == r {
                let alertKey = AlertBook.Key(rule: rule.id, source: source, subject: "t\(sessionKey.track)")
                let memo = state.tracks[sessionKey.track]
                let dwell = session.lastInside - session.start
                if time - session.lastInside > maxGap {
                    state.dwell[sessionKey] = nil
                    if let end = book.end(alertKey, rule: rule, at: session.lastInside, value: dwell) {
                        out.append(AlertOutput(event: end, evidence: nil))
                    }
                    continue
                }
                if book.isActive(alertKey) {
                    if session.lastInside == time, let update = book.update(alertKey, rule: rule, at: time, value: dwell) {
                        out.append(AlertOutput(event: update, evidence: nil))
                    }
                } else if reached(dwell, threshold), session.lastInside == time {
                    let facts = AlertBook.Facts(trackID: sessionKey.track, globalID: memo?.globalID, label: memo?.label,
                                                zone: zoneID, value: dwell, attributes: ["entered_at": Self.seconds(session.start)])
                    if let start = book.start(alertKey, rule: rule, at: time, facts: facts) {
                        let drawing = shape(zone: z)
                        out.append(AlertOutput(event: start, evidence: EvidenceSubject(box: memo?.box, polygon: drawing?.points ?? [],
                                                                                       closed: true)))
                    }
                }
            }
        }
        return out
    }

    static func seconds(_ t: Double) -> String { String(format: "%.3f", t) }
}
