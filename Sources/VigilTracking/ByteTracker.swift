public import VigilCore

/// A multi-object tracker of the ByteTrack family for one source: constant-velocity Kalman boxes,
/// two-stage association (high-score detections, then low-score ones to keep tracks alive through
/// occlusion), optimal gated assignment on IoU, tentative/confirmed/lost/removed lifecycle, classes
/// kept apart. Driven by timestamps: frames may be irregular, skipped, or carry no detector output.
///
/// A value type with no global state: one instance per source, `reset()` between videos.
public struct ByteTracker: Sendable {
    public let configuration: TrackerConfiguration

    struct Track: Sendable, Codable {
        var id: Int
        var classID: Int
        var labelIndex: Int
        var filter: KalmanBoxFilter
        var life: TrackLifecycle
        var score: Double
        var matched: Bool
        /// The last associated detection.
        var observed: BoundingBox
    }

    private(set) var tracks: [Track] = []
    private var nextID = 1
    private var lastTime: Double?
    private var sawDetectorFrame = false
    private var labels: [String] = []
    private var matcher = GatedAssignment()
    // Scratch, reused every frame.
    private var predicted: [BoundingBox] = []
    private var edges: [AssignmentEdge] = []
    private var sortedDets: [(box: BoundingBox, column: Int)] = []
    private var high: [Int] = []
    private var low: [Int] = []
    private var rows: [Int] = []
    private var rest: [Int] = []
    private var tentative: [Int] = []
    private var detTaken: [Bool] = []
    private var tentativeDets: [Int] = []

    public init(configuration: TrackerConfiguration = TrackerConfiguration()) {
        self.configuration = configuration
    }

    /// Number of live tracks (any state but removed).
    public var liveTrackCount: Int { tracks.count }

    /// Forgets every track. Ids start again at 1 unless `restartingIDs` is false (the same stream
    /// continues, so ids must stay unique).
    public mutating func reset(restartingIDs: Bool = true) {
        tracks.removeAll(keepingCapacity: true)
        if restartingIDs { nextID = 1 }
        lastTime = nil
        sawDetectorFrame = false
    }

    /// Advances to `time` and associates the detections of that frame. Returns the confirmed tracks
    /// seen on this frame.
    public mutating func update(detections: [Detection], at time: Double) -> [TrackPoint] {
        var out: [TrackPoint] = []
        update(detections: detections, at: time, into: &out)
        return out
    }

    /// A frame the detector did not run on: tracks move by their motion model; nothing counts as a miss.
    public mutating func predict(at time: Double) -> [TrackPoint] {
        var out: [TrackPoint] = []
        predict(at: time, into: &out)
        return out
    }

    public mutating func predict(at time: Double, into out: inout [TrackPoint]) {
        advance(to: time)
        var k = 0
        while k < tracks.count {
            tracks[k].life.expire(at: time, maxAge: configuration.maxAgeSeconds)
            if tracks[k].life.state == .removed { tracks.remove(at: k) } else { k += 1 }
        }
        out.removeAll(keepingCapacity: true)
        for t in tracks where t.life.state == .confirmed
            || (t.life.state == .lost && t.life.timeSinceUpdate(at: time) <= configuration.coastSeconds) {
            out.append(point(t, at: time))
        }
    }

    /// As ``update(detections:at:)``, writing into a reused buffer.
    public mutating func update(detections: [Detection], at time: Double, into out: inout [TrackPoint]) {
        let c = configuration
        advance(to: time)
        let n = tracks.count
        predicted.removeAll(keepingCapacity: true)
        for k in 0..<n { tracks[k].matched = false; predicted.append(tracks[k].filter.box) }

        high.removeAll(keepingCapacity: true)
        low.removeAll(keepingCapacity: true)
        for (j, d) in detections.enumerated() {
            guard d.box.width > 0, d.box.height > 0, d.score.isFinite, d.box.x.isFinite, d.box.y.isFinite else { continue }
            if !c.classes.isEmpty && !c.classes.contains(d.label) { continue }
            if d.score >= c.highThreshold { high.append(j) } else if d.score >= c.lowThreshold { low.append(j) }
        }
        detTaken.removeAll(keepingCapacity: true)
        detTaken.append(contentsOf: repeatElement(false, count: detections.count))

        // Stage 1: confirmed and lost tracks against high-score detections.
        rows.removeAll(keepingCapacity: true)
        tentative.removeAll(keepingCapacity: true)
        for k in 0..<n {
            if tracks[k].life.state == .tentative { tentative.append(k) } else { rows.append(k) }
        }
        associate(rows: rows, dets: high, detections: detections, minIoU: c.matchIoU, fuse: c.fuseScore, time: time)

        // Stage 1b: lost tracks get a second chance with enlarged boxes (their prediction drifts).
        if c.lostBufferScale > 0 {
            rest.removeAll(keepingCapacity: true)
            for k in rows where !tracks[k].matched && tracks[k].life.state == .lost { rest.append(k) }
            if !rest.isEmpty {
                tentativeDets.removeAll(keepingCapacity: true)
                for j in high where !detTaken[j] { tentativeDets.append(j) }
                associate(rows: rest, dets: tentativeDets, detections: detections, minIoU: c.lostMatchIoU, fuse: false,
                          time: time, buffer: c.lostBufferScale)
            }
        }

        // Stage 2: still-unmatched confirmed (not lost) tracks against low-score detections.
        rest.removeAll(keepingCapacity: true)
        for k in rows where !tracks[k].matched && tracks[k].life.state == .confirmed { rest.append(k) }
        associate(rows: rest, dets: low, detections: detections, minIoU: c.lowMatchIoU, fuse: false, time: time)

        // Stage 3: tentative tracks against the high-score detections left.
        rest.removeAll(keepingCapacity: true)
        for j in high where !detTaken[j] { rest.append(j) }
        associate(rows: tentative, dets: rest, detections: detections, minIoU: c.unconfirmedMatchIoU,
                  fuse: c.fuseScore, time: time)

        // Misses and expiry.
        var k = 0
        while k < tracks.count {
            if !tracks[k].matched {
                tracks[k].life.missed(at: time, maxAge: c.maxAgeSeconds)
            }
            if tracks[k].life.state == .removed { tracks.remove(at: k) } else { k += 1 }
        }

        // New tracks from confident detections nobody took.
        let isFirstFrame = !sawDetectorFrame
        sawDetectorFrame = true
        for j in high where !detTaken[j] && detections[j].score >= c.newTrackThreshold {
            let d = detections[j]
            tracks.append(Track(id: nextID, classID: d.classID, labelIndex: labelIndex(d.label),
                                filter: KalmanBoxFilter(box: d.box),
                                // As ByteTrack: tracks born on the first frame are confirmed at once.
                                life: TrackLifecycle(createdAt: time, minHits: isFirstFrame || d.score >= c.instantConfirmThreshold ? 1 : c.minHits),
                                score: d.score, matched: true, observed: d.box))
            nextID += 1
        }

        out.removeAll(keepingCapacity: true)
        for t in tracks {
            if t.matched && t.life.state == .confirmed {
                out.append(point(t, at: time))
            } else if t.life.state == .lost && t.life.timeSinceUpdate(at: time) <= c.coastSeconds {
                out.append(point(t, at: time))
            }
        }
    }

    // MARK: Steps

    private mutating func advance(to time: Double) {
        defer { lastTime = max(lastTime ?? time, time) }
        guard let last = lastTime, time > last else { return }
        let steps = (time - last) / configuration.referenceInterval
        for k in 0..<tracks.count {
            // As ByteTrack: a track that is not being observed keeps its size (no size velocity).
            if tracks[k].life.state == .lost { tracks[k].filter.w.velocity = 0; tracks[k].filter.h.velocity = 0 }
            tracks[k].filter.predict(steps: steps)
        }
    }

    private mutating func associate(rows: [Int], dets: [Int], detections: [Detection], minIoU: Double, fuse: Bool,
                                    time: Double, buffer: Double = 0) {
        let nr = rows.count, nc = dets.count
        guard nr > 0, nc > 0 else { return }
        // Candidate pairs only: detections sorted by left edge, each track scans the ones whose
        // horizontal extent can overlap its own (a crowd costs n log n, not n squared).
        sortedDets.removeAll(keepingCapacity: true)
        var widest = 0.0
        for (c, j) in dets.enumerated() {
            var b = detections[j].box
            if buffer > 0 {
                b = BoundingBox(x: b.x - buffer * b.width, y: b.y - buffer * b.height,
                                width: b.width * (1 + 2 * buffer), height: b.height * (1 + 2 * buffer))
            }
            widest = max(widest, b.width)
            sortedDets.append((b, c))
        }
        sortedDets.sort { $0.box.x < $1.box.x }
        edges.removeAll(keepingCapacity: true)
        for (r, k) in rows.enumerated() {
            var p = predicted[k]
            if buffer > 0 {
                p = BoundingBox(x: p.x - buffer * p.width, y: p.y - buffer * p.height,
                                width: p.width * (1 + 2 * buffer), height: p.height * (1 + 2 * buffer))
            }
            let cls = tracks[k].classID
            let px2 = p.x + p.width, py2 = p.y + p.height, pa = p.width * p.height
            // First detection whose left edge is past p.x - widest.
            var lo = 0, hi = sortedDets.count
            let from = p.x - widest
            while lo < hi { let mid = (lo + hi) / 2; if sortedDets[mid].box.x <= from { lo = mid + 1 } else { hi = mid } }
            var i = lo
            while i < sortedDets.count {
                let (b, c) = sortedDets[i]
                i += 1
                if b.x >= px2 { break }
                let iw = min(px2, b.x + b.width) - max(p.x, b.x)
                let ih = min(py2, b.y + b.height) - max(p.y, b.y)
                if iw <= 0 || ih <= 0 { continue }
                let d = detections[dets[c]]
                if d.classID != cls { continue }
                let inter = iw * ih
                let iou = inter / (pa + b.width * b.height - inter)
                // Gate on the plain IoU; rank by the fused similarity.
                if iou < minIoU { continue }
                edges.append(AssignmentEdge(row: r, col: c, cost: 1 - (fuse ? iou * d.score : iou)))
            }
        }
        let pairs = matcher.match(edges: edges, rows: nr, cols: nc, limit: 1.0 + 1e-9)
        let noiseFromScore = configuration.scoreAdaptiveNoise
        for (r, c) in pairs {
            let k = rows[r], j = dets[c]
            let d = detections[j]
            tracks[k].filter.update(box: d.box, noiseScale: noiseFromScore ? max(1 - d.score, 0.05) : 1)
            tracks[k].life.matched(at: time)
            tracks[k].score = d.score
            tracks[k].matched = true
            tracks[k].observed = d.box
            detTaken[j] = true
        }
    }

    private mutating func labelIndex(_ label: String) -> Int {
        if let i = labels.firstIndex(of: label) { return i }
        labels.append(label)
        return labels.count - 1
    }

    private func point(_ t: Track, at time: Double) -> TrackPoint {
        let perSecond = 1 / configuration.referenceInterval
        return TrackPoint(trackID: t.id, box: t.filter.box, score: t.score, classID: t.classID,
                          label: labels[t.labelIndex], state: t.life.state, age: time - t.life.createdAt,
                          velocityX: t.filter.cx.velocity * perSecond, velocityY: t.filter.cy.velocity * perSecond)
    }
}

extension ByteTracker {
    /// What the tracker remembers from one frame to the next (its scratch buffers aside): a checkpoint
    /// restores it, and the tracker goes on exactly as the one that wrote it.
    public struct State: Sendable, Codable {
        var tracks: [Track]
        var nextID: Int
        var lastTime: Double?
        var sawDetectorFrame: Bool
        var labels: [String]
    }

    public var state: State {
        State(tracks: tracks, nextID: nextID, lastTime: lastTime, sawDetectorFrame: sawDetectorFrame, labels: labels)
    }

    /// A tracker with `configuration` that continues from `state`.
    public init(configuration: TrackerConfiguration, state: State) {
        self.init(configuration: configuration)
        tracks = state.tracks
        nextID = state.nextID
        lastTime = state.lastTime
        sawDetectorFrame = state.sawDetectorFrame
        labels = state.labels
    }
}
