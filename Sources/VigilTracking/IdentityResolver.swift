/// Two cameras a person can walk between, in either direction, and how long that takes. Overlapping
/// views have `minTransitSeconds <= 0` (the person is seen by both at once).
public struct CameraLink: Sendable, Hashable {
    public var a: String
    public var b: String
    public var minTransitSeconds: Double
    public var maxTransitSeconds: Double

    public init(_ a: String, _ b: String, minTransitSeconds: Double, maxTransitSeconds: Double) {
        self.a = a; self.b = b; self.minTransitSeconds = minTransitSeconds; self.maxTransitSeconds = maxTransitSeconds
    }

    func connects(_ x: String, _ y: String) -> Bool { (a == x && b == y) || (a == y && b == x) }
}

/// Settings of ``IdentityResolver``.
public struct IdentityConfiguration: Sendable, Hashable {
    /// Minimum cosine similarity of appearance descriptors to call two tracks one person.
    public var similarityThreshold = 0.8
    /// The same inside one camera, where a wrong re-link merges two people's tracks (stricter).
    public var relinkSimilarityThreshold = 0.9
    /// A new track that starts inside the view may continue a lost one of the same camera that was
    /// lost inside the view at most this long ago ...
    public var relinkSeconds = 5.0
    /// ... and whose last foot point is within reach of the new track's first one: half a box height
    /// plus this many box heights per second of the gap (a walker covers about one height per second).
    public var relinkDistance = 1.0
    /// Descriptor samples gathered before the identity of a new track is decided.
    public var minSamples = 3
    /// Decide anyway after this long (with whatever appearance is known).
    public var decideAfterSeconds = 2.0
    /// Between cameras with site-map positions: two tracks seen at the same time are one person only
    /// when their map positions are at most this far apart (map units, metres).
    public var maxMapDistance = 1.5
    /// ... and after a transit, at most this fast on average (map units per second).
    public var maxWalkingSpeed = 3.0
    /// Share of the old descriptor kept by the exponential moving mean.
    public var momentum: Float = 0.9
    public var links: [CameraLink] = []

    public init() {}
}

/// Assigns global identities to per-camera tracks: re-links a track to a lost one of the same camera
/// (nearby, recent, similar) and to tracks of linked cameras within the declared transit times.
/// A pure value: fed observations, it returns identities; no I/O.
public struct IdentityResolver: Sendable {
    public let configuration: IdentityConfiguration

    /// A point in source pixels or on the site map.
    struct Point: Sendable, Codable {
        var x: Double
        var y: Double
        init(_ p: (x: Double, y: Double)) { x = p.x; y = p.y }
    }

    struct Entry: Sendable, Codable {
        var camera: String
        var trackID: Int
        var globalID: Int?
        var descriptor: [Float]?
        var samples: Int
        var firstSeen: Double
        var lastSeen: Double
        var firstFoot: Point
        var lastFoot: Point
        var height: Double
        /// Whether the box touched the frame edge when first / last seen (entering or leaving the view).
        var firstAtBorder: Bool
        var lastAtBorder: Bool
        var firstMap: Point?
        var lastMap: Point?
    }

    private(set) var entries: [Entry] = []
    private var nextGlobalID = 1
    private var lastCleanup = -Double.infinity

    public init(configuration: IdentityConfiguration = IdentityConfiguration()) { self.configuration = configuration }

    /// Records one observation of a track and returns its global id (`nil` while still undecided).
    /// `map` is the foot point on the site map when the camera has a homography.
    public mutating func observe(camera: String, trackID: Int, time: Double, footX: Double, footY: Double,
                                 height: Double, atBorder: Bool = false, map: (x: Double, y: Double)? = nil,
                                 descriptor: [Float]?) -> Int? {
        let index: Int
        if let i = entries.firstIndex(where: { $0.trackID == trackID && $0.camera == camera }) {
            index = i
        } else {
            let foot = Point((footX, footY))
            entries.append(Entry(camera: camera, trackID: trackID, globalID: nil, descriptor: nil, samples: 0,
                                 firstSeen: time, lastSeen: time, firstFoot: foot, lastFoot: foot, height: height,
                                 firstAtBorder: atBorder, lastAtBorder: atBorder, firstMap: map.map(Point.init),
                                 lastMap: map.map(Point.init)))
            index = entries.count - 1
        }
        entries[index].lastSeen = max(entries[index].lastSeen, time)
        entries[index].lastFoot = Point((footX, footY))
        entries[index].height = height
        entries[index].lastAtBorder = atBorder
        if let map { entries[index].lastMap = Point(map) }
        if let descriptor {
            entries[index].descriptor = entries[index].descriptor.map {
                Appearance.blend($0, descriptor, momentum: configuration.momentum)
            } ?? descriptor
            entries[index].samples += 1
        }
        if entries[index].globalID == nil,
           entries[index].samples >= configuration.minSamples || time - entries[index].firstSeen >= configuration.decideAfterSeconds {
            entries[index].globalID = decide(index, now: time)
        }
        let gid = entries[index].globalID
        if time - lastCleanup > 1 { cleanup(now: time) } // invalidates `index`
        return gid
    }

    private mutating func decide(_ index: Int, now: Double) -> Int {
        let me = entries[index]
        let c = configuration
        var best: (gid: Int, similarity: Double)?
        if let mine = me.descriptor {
            for (k, other) in entries.enumerated() where k != index {
                guard let gid = other.globalID, let theirs = other.descriptor else { continue }
                if other.camera == me.camera {
                    let gap = me.firstSeen - other.lastSeen
                    guard gap > 0, gap <= c.relinkSeconds else { continue }
                    // Re-linking mends tracks broken inside the view (occlusion, missed detections);
                    // someone who walked out of the view and someone walking in are not matched here.
                    guard !other.lastAtBorder, !me.firstAtBorder else { continue }
                    let dx = other.lastFoot.x - me.firstFoot.x, dy = other.lastFoot.y - me.firstFoot.y
                    let reach = (0.5 + c.relinkDistance * gap) * max(me.height, other.height)
                    guard (dx * dx + dy * dy).squareRoot() <= reach else { continue }
                } else {
                    guard let link = c.links.first(where: { $0.connects(me.camera, other.camera) }) else { continue }
                    // Still visible over there: transit 0 (overlapping views); otherwise time since it left.
                    let transit = other.lastSeen >= me.firstSeen ? 0 : me.firstSeen - other.lastSeen
                    guard transit >= link.minTransitSeconds || (transit == 0 && link.minTransitSeconds <= 0),
                          transit <= link.maxTransitSeconds else { continue }
                    if transit == 0 && link.minTransitSeconds > 0 { continue }
                    // Both placed on the site map: the positions must agree (at once) or be walkable.
                    if let a = other.lastMap, let b = transit == 0 ? me.lastMap : me.firstMap {
                        let distance = ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
                        if distance > c.maxMapDistance + c.maxWalkingSpeed * transit { continue }
                    }
                }
                // One person is one track per camera at a time.
                if isHeld(gid, inCamera: me.camera, except: index, now: now) { continue }
                let s = Appearance.similarity(mine, theirs)
                let threshold = other.camera == me.camera ? c.relinkSimilarityThreshold : c.similarityThreshold
                if s >= threshold && s > (best?.similarity ?? -1) { best = (gid, s) }
            }
        }
        if let best { return best.gid }
        defer { nextGlobalID += 1 }
        return nextGlobalID
    }

    /// Whether another track of `camera`, seen recently, already carries `gid`.
    private func isHeld(_ gid: Int, inCamera camera: String, except index: Int, now: Double) -> Bool {
        entries.indices.contains { k in
            k != index && entries[k].camera == camera && entries[k].globalID == gid && now - entries[k].lastSeen < 0.5
        }
    }

    private mutating func cleanup(now: Double) {
        lastCleanup = now
        let horizon = max(configuration.relinkSeconds, configuration.links.map(\.maxTransitSeconds).max() ?? 0) + 1
        entries.removeAll { now - $0.lastSeen > horizon }
    }
}

extension IdentityResolver {
    /// Everything the resolver remembers, for checkpoints: a restored resolver decides exactly as the one
    /// that wrote it.
    public struct State: Sendable, Codable {
        var entries: [Entry]
        var nextGlobalID: Int
        var lastCleanup: Double
    }

    public var state: State { State(entries: entries, nextGlobalID: nextGlobalID, lastCleanup: lastCleanup) }

    /// A resolver with `configuration` that continues from `state`.
    public init(configuration: IdentityConfiguration, state: State) {
        self.init(configuration: configuration)
        entries = state.entries
        nextGlobalID = state.nextGlobalID
        lastCleanup = state.lastCleanup
    }
}
