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
    /// Per rule: its zone or line index and anchor, precomputed (the per-frame path does no lookups by name).
    let ruleZone: [Int?]
    let ruleLine: [Int?]
    let ruleAnchor: [Anchor]
    /// Per zone and per line: the anchors in use (its own and those of its rules), in a fixed order.
    let zoneAnchors: [[Anchor]]
    let lineAnchors: [[Anchor]]
    /// `occupancy.<zone>` per zone.
    let occupancyKeys: [String]
    /// What the per-track loop reads of each zone and line, without copying their definitions.
    let zoneGeometry: [(polygon: Polygon, space: Space, minInside: Double, minOutside: Double)]
    let lineGeometry: [(geometry: LineCrossingState.Geometry, space: Space)]
    /// First slot of each zone and line: state is kept per (zone or line, anchor) slot, in arrays.
    let zoneSlotBase: [Int]
    let lineSlotBase: [Int]
    let zoneSlotCount: Int
    let lineSlotCount: Int

    /// What the engine keeps of one track: its last sighting, and its state in every zone and line slot
    /// (one table lookup per track and frame, the rest is array indexing).
    struct TrackMemo {
        var lastSeen: Double
        var age: Double
        var label: String
        var box: BoundingBox
        var globalID: Int?
        var memberships: [ZoneMembership?]
        var crossings: [LineCrossingState?]
    }

    struct DwellSession {
        var start: Double
        var lastInside: Double
        /// Its alert has started (reported or held back by a cooldown); the book knows the rest.
        var alerting = false
        var lastUpdate = 0.0
    }

    struct SourceState {
        var lastTime = -Double.infinity
        var tracks: [Int: TrackMemo] = [:]
        /// (rule index, track id)
        var dwell: [RuleTrack: DwellSession] = [:]
        /// The tracks with a dwell session, per rule.
        var dwellKeys: [Int: Set<Int>] = [:]
        var timers: [Int: HoldTimer] = [:]
        var evaluators: [Int: MetricEvaluator] = [:]
        var scratch: Scratch
        /// The zone and line slots of this camera, flat (the per-track loop reads no nested arrays).
        let zoneSlots: [Slot]
        let lineSlots: [Slot]

        init(zoneSlotCount: Int, zoneSlots: [Slot], lineSlots: [Slot]) {
            scratch = Scratch(zoneSlots: zoneSlotCount)
            self.zoneSlots = zoneSlots
            self.lineSlots = lineSlots
        }

        var inside: [[(id: Int, label: String)]] {
            get { scratch.inside }
            set { scratch.inside = newValue }
        }
    }

    /// A zone or line seen through one anchor, and the index of its state in a track's arrays.
    struct Slot {
        var shape: Int
        var anchor: Anchor
        var slot: Int
    }

    /// What the per-track loop writes besides the track's own state.
    struct Scratch {
        /// Per zone slot: this frame's members, confirmed tracks only.
        var inside: [[(id: Int, label: String)]]

        /// Crossings so far by "line|direction|class".
        var crossingCounts: [String: Int] = [:]

        init(zoneSlots: Int) { inside = Array(repeating: [], count: zoneSlots) }
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
        let zoneIDs = Dictionary(configuration.zones.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let lineIDs = Dictionary(configuration.lines.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var ruleZone: [Int?] = [], ruleLine: [Int?] = [], ruleAnchor: [Anchor] = []
        var zoneAnchors = configuration.zones.map { Set([$0.anchor]) }
        var lineAnchors = configuration.lines.map { Set([$0.anchor]) }
        for rule in configuration.rules {
            var zone: Int?, line: Int?
            switch rule.kind {
            case .zoneEnter(let z), .zoneExit(let z), .dwell(let z, _, _), .crowd(let z, _, _, _, _), .absence(let z, _, _, _):
                zone = zoneIDs[z]
            case .lineCross(let l, _):
                line = lineIDs[l]
            case .metric:
                break
            }
            let anchor = rule.anchor ?? zone.map { configuration.zones[$0].anchor } ?? line.map { configuration.lines[$0].anchor }
                ?? .bottomCenter
            if let zone { zoneAnchors[zone].insert(anchor) }
            if let line { lineAnchors[line].insert(anchor) }
            ruleZone.append(zone); ruleLine.append(line); ruleAnchor.append(anchor)
        }
        self.ruleZone = ruleZone
        self.ruleLine = ruleLine
        self.ruleAnchor = ruleAnchor
        self.zoneAnchors = zoneAnchors.map { $0.sorted { $0.rawValue < $1.rawValue } }
        self.lineAnchors = lineAnchors.map { $0.sorted { $0.rawValue < $1.rawValue } }
        occupancyKeys = configuration.zones.map { "occupancy.\($0.id)" }
        zoneGeometry = configuration.zones.map { ($0.polygon, $0.space, $0.minInside, $0.minOutside) }
        lineGeometry = configuration.lines.map {
            (LineCrossingState.Geometry(line: $0.segment, band: $0.band, minSideTime: $0.minSideTime, extended: $0.extended), $0.space)
        }
        func bases(_ groups: [[Anchor]]) -> [Int] {
            var out: [Int] = [], next = 0
            for group in groups { out.append(next); next += group.count }
            return out
        }
        let sortedZoneAnchors = zoneAnchors.map { $0.sorted { $0.rawValue < $1.rawValue } }
        let sortedLineAnchors = lineAnchors.map { $0.sorted { $0.rawValue < $1.rawValue } }
        zoneSlotBase = bases(sortedZoneAnchors)
        lineSlotBase = bases(sortedLineAnchors)
        zoneSlotCount = sortedZoneAnchors.reduce(0) { $0 + $1.count }
        lineSlotCount = sortedLineAnchors.reduce(0) { $0 + $1.count }
    }

    /// The state slot of zone `z` seen through `anchor` (one of ``zoneAnchors``).
    func zoneSlot(_ z: Int, _ anchor: Anchor) -> Int { zoneSlotBase[z] + (zoneAnchors[z].firstIndex(of: anchor) ?? 0) }
    func lineSlot(_ l: Int, _ anchor: Anchor) -> Int { lineSlotBase[l] + (lineAnchors[l].firstIndex(of: anchor) ?? 0) }
    func newState(_ source: String) -> SourceState {
        let zones = configuration.zones.indices.filter { configuration.zones[$0].camera.map { $0 == source } ?? true }
        let lines = configuration.lines.indices.filter { configuration.lines[$0].camera.map { $0 == source } ?? true }
        return SourceState(
            zoneSlotCount: zoneSlotCount,
            zoneSlots: zones.flatMap { z in zoneAnchors[z].enumerated().map { Slot(shape: z, anchor: $1, slot: zoneSlotBase[z] + $0) } },
            lineSlots: lines.flatMap { l in lineAnchors[l].enumerated().map { Slot(shape: l, anchor: $1, slot: lineSlotBase[l] + $0) } })
    }

    /// Whether rule `r` applies to `source` (its camera, and its zone's or line's camera).
    func applies(_ r: Int, source: String) -> Bool {
        let rule = configuration.rules[r]
        if let camera = rule.camera, camera != source { return false }
        if let z = ruleZone[r] { return configuration.zones[z].camera.map { $0 == source } ?? true }
        if let l = ruleLine[r] { return configuration.lines[l].camera.map { $0 == source } ?? true }
        if case .metric = rule.kind { return true }
        return false   // its zone or line does not exist
    }

    func counts(_ rule: RuleDefinition, label: String) -> Bool { rule.classes?.contains(label) ?? true }

    /// Feeds one frame: updates every rule, writes the occupancy of each zone into the frame's
    /// measurements (`occupancy.<zone>`), and returns the events it decided, in order.
    public mutating func process(_ frame: inout AnnotatedFrame) -> [AlertOutput] {
        let source = frame.info.sourceID
        let time = frame.info.time.seconds
        var out: [AlertOutput] = []
        // Taken out of the table while it changes, so its dictionaries are not copied on write.
        var state = sources.removeValue(forKey: source) ?? newState(source)
        if time < state.lastTime - 1e-9 {
            out += endAll(source: source, state: &state, at: state.lastTime, reason: "timeline_restart")
            state = newState(source)
        }
        state.lastTime = time
        for slot in state.inside.indices { state.inside[slot].removeAll(keepingCapacity: true) }
        // Per-frame tables taken out of the state while the tracks update in place in theirs.
        var scratch = state.scratch
        state.scratch = Scratch(zoneSlots: 0)
        let zoneSlots = state.zoneSlots, lineSlots = state.lineSlots
        for i in frame.tracks.indices where frame.tracks[i].state == .confirmed {
            let track = frame.tracks[i]
            var index = state.tracks.index(forKey: track.trackID)
            if let known = index, track.age + 1e-6 < state.tracks.values[known].age {
                // The id came back on a new object (its age went back): the old one leaves first.
                out += forget(track.trackID, source: source, state: &state)
                index = nil
            }
            if index == nil {
                state.tracks[track.trackID] = TrackMemo(lastSeen: time, age: track.age, label: track.label, box: track.box,
                                                        globalID: track.globalID,
                                                        memberships: Array(repeating: nil, count: zoneSlotCount),
                                                        crossings: Array(repeating: nil, count: lineSlotCount))
                index = state.tracks.index(forKey: track.trackID)
            }
            let at = index!
            state.tracks.values[at].lastSeen = time
            state.tracks.values[at].age = track.age
            state.tracks.values[at].label = track.label
            state.tracks.values[at].box = track.box
            state.tracks.values[at].globalID = track.globalID
            out += observeZones(track, memo: &state.tracks.values[at], slots: zoneSlots, source: source, time: time, scratch: &scratch)
            out += observeLines(track, memo: &state.tracks.values[at], slots: lineSlots, source: source, time: time, scratch: &scratch)
        }
        state.scratch = scratch
        // Tracks unseen for longer than forget_after are gone.
        var gone: [Int] = []
        for (id, memo) in state.tracks where time - memo.lastSeen > configuration.forgetAfter { gone.append(id) }
        for id in gone.sorted() { out += forget(id, source: source, state: &state) }
        out += updateDwell(source: source, time: time, state: &state)
        out += updateOccupancy(frame: &frame, source: source, time: time, state: &state)
        out += updateMetrics(frame, source: source, time: time, state: &state)
        sources[source] = state
        return out
    }

    /// Ends every active alert at the last frame of each camera (end of the input).
    public mutating func finish() -> [AlertOutput] {
        var out: [AlertOutput] = []
        for source in sources.keys.sorted() {
            var state = sources.removeValue(forKey: source)!
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

    /// One track against every zone: membership with hysteresis, this frame's occupants, enter/exit alerts.
    mutating func observeZones(_ track: TrackPoint, memo: inout TrackMemo, slots: [Slot], source: String, time: Double,
                               scratch: inout Scratch) -> [AlertOutput] {
        var out: [AlertOutput] = []
        for entry in slots {
            let z = entry.shape, slot = entry.slot
            guard let p = point(track, space: zoneGeometry[z].space, anchor: entry.anchor) else { continue }
            let raw = zoneGeometry[z].polygon.contains(p)
            // Far from the zone and never near it, or settled outside: nothing to update.
            if !raw, memo.memberships[slot]?.isSettledOutside ?? true { continue }
            if memo.memberships[slot] == nil {
                memo.memberships[slot] = ZoneMembership(minInside: zoneGeometry[z].minInside, minOutside: zoneGeometry[z].minOutside)
            }
            let transition = memo.memberships[slot]!.observe(inside: raw, at: time)   // in place
            if memo.memberships[slot]!.isInside { scratch.inside[slot].append((track.trackID, track.label)) }
            if let transition {
                out += zoneTransition(transition, zone: z, anchor: entry.anchor, track: track.trackID, memo: memo, source: source)
            }
        }
        return out
    }

    mutating func zoneTransition(_ transition: ZoneMembership.Transition, zone z: Int, anchor: Anchor, track: Int,
                                 memo: TrackMemo, source: String) -> [AlertOutput] {
        var out: [AlertOutput] = []
        let zoneID = configuration.zones[z].id
        for (r, rule) in configuration.rules.enumerated() where ruleZone[r] == z && ruleAnchor[r] == anchor
            && applies(r, source: source) && counts(rule, label: memo.label) {
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
        for (r, rule) in configuration.rules.enumerated() where applies(r, source: source) {
            guard case .dwell(let zoneID, let threshold, let maxGap) = rule.kind, let z = ruleZone[r] else { continue }
            let anchor = ruleAnchor[r]
            // Sessions of tracks inside now.
            let slot = zoneSlot(z, anchor)
            for occupant in state.inside[slot] where counts(rule, label: occupant.label) {
                guard let membership = state.tracks[occupant.id]?.memberships[slot], membership.lastInsideAt == time,
                      let entered = membership.enteredAt else { continue }
                let sessionKey = RuleTrack(rule: r, track: occupant.id)
                var session = state.dwell[sessionKey] ?? DwellSession(start: entered, lastInside: time)
                session.lastInside = time
                state.dwell[sessionKey] = session
                state.dwellKeys[r, default: []].insert(occupant.id)
            }
            // Every session: end it after a gap longer than max_gap, else start or update its alert.
            for track in state.dwellKeys[r] ?? [] {
                let sessionKey = RuleTrack(rule: r, track: track)
                guard var session = state.dwell[sessionKey] else { continue }
                let dwell = session.lastInside - session.start
                if time - session.lastInside > maxGap {
                    state.dwell[sessionKey] = nil
                    state.dwellKeys[r]?.remove(track)
                    if session.alerting, let end = book.end(.init(rule: rule.id, source: source, subject: "t\(track)"), rule: rule,
                                                             at: session.lastInside, value: dwell) {
                        out.append(AlertOutput(event: end, evidence: nil))
                    }
                    continue
                }
                guard session.lastInside == time else { continue }
                if session.alerting {
                    guard let every = rule.updateEvery, reached(time - session.lastUpdate, every) else { continue }
                    session.lastUpdate = time
                    if let update = book.update(.init(rule: rule.id, source: source, subject: "t\(track)"), rule: rule,
                                                at: time, value: dwell) {
                        out.append(AlertOutput(event: update, evidence: nil))
                    }
                } else if reached(dwell, threshold) {
                    session.alerting = true
                    session.lastUpdate = time
                    let memo = state.tracks[track]
                    let facts = AlertBook.Facts(trackID: track, globalID: memo?.globalID, label: memo?.label,
                                                zone: zoneID, value: dwell, attributes: ["entered_at": Self.seconds(session.start)])
                    if let start = book.start(.init(rule: rule.id, source: source, subject: "t\(track)"), rule: rule, at: time,
                                              facts: facts) {
                        let drawing = shape(zone: z)
                        out.append(AlertOutput(event: start, evidence: EvidenceSubject(box: memo?.box, polygon: drawing?.points ?? [],
                                                                                       closed: true)))
                    }
                }
                state.dwell[sessionKey] = session
            }
        }
        return out
    }

    static func seconds(_ t: Double) -> String { String(format: "%.3f", t) }
    /// A measurement as an attribute: an integer as such (a blink count), else four decimal places.
    static func measurement(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(format: "%.4f", v) }
}
