public import VigilCore

/// `type: reidentify` — appearance descriptors per track, re-linking inside a camera, global identities
/// across linked cameras (`TrackPoint.globalID`), and site-map positions of the foot point
/// (`TrackPoint.mapX/mapY`) from a per-camera homography.
///
/// ```yaml
/// reid:
///   type: reidentify
///   inputs: [track]
///   similarity_threshold: 0.8      # cosine similarity of HSV stripe histograms
///   relink_seconds: 5s             # same camera: a track lost inside the view -> a new one starting inside it
///   relink_distance: 1             # ... within half a box height + this many heights per second of gap
///   relink_similarity_threshold: 0.9
///   min_score: 0.5                 # crops used for appearance
///   max_overlap: 0.3               # skip crops covered more than this by another track
///   max_map_distance: 1.5          # cameras on one site map: same person = same place (metres) ...
///   max_walking_speed: 3           # ... or reachable at this speed (m/s) after a transit
///   cameras:
///     left:                        # a source id
///       homography:                # >= 4 image <-> map pairs (pixels of the source; metres)
///         image: [[120, 500], [600, 500], [700, 300], [60, 300]]
///         map:   [[0, 0], [10, 0], [10, 15], [0, 15]]
///       links:
///         - to: right
///           min_transit_seconds: 0 # overlapping views
///           max_transit_seconds: 10
/// ```
public struct ReidentifySpec: StageSpec {
    public static let typeName = "reidentify"
    public static let role = StageRole.transform
    public static let summary = "appearance re-identification, global ids across cameras, site-map positions"

    public var identity = IdentityConfiguration()
    public var minScore = 0.5
    public var maxOverlap = 0.3
    public var homographies: [String: Homography] = [:]

    public init(config: ConfigReader) {
        if let v = config.threshold("similarity_threshold") { identity.similarityThreshold = v }
        if let v = config.threshold("relink_similarity_threshold") { identity.relinkSimilarityThreshold = v }
        if let v = config.duration("relink_seconds") { identity.relinkSeconds = v }
        if let v = config.double("relink_distance", in: 0...100) { identity.relinkDistance = v }
        if let v = config.int("min_samples", in: 1...1000) { identity.minSamples = v }
        if let v = config.duration("decide_after_seconds") { identity.decideAfterSeconds = v }
        if let v = config.double("momentum", in: 0...0.999) { identity.momentum = Float(v) }
        if let v = config.double("max_map_distance", in: 0...10_000) { identity.maxMapDistance = v }
        if let v = config.double("max_walking_speed", in: 0...1_000) { identity.maxWalkingSpeed = v }
        if let v = config.threshold("min_score") { minScore = v }
        if let v = config.threshold("max_overlap") { maxOverlap = v }
        if let cameras = config.nested("cameras") {
            var declared: [String] = []
            for entry in cameras.node.entries ?? [] {
                declared.append(entry.key)
                guard let camera = cameras.nested(entry.key) else { continue }
                readCamera(entry.key, camera)
                camera.finish()
            }
            for link in identity.links where !declared.contains(link.b) {
                cameras.error("camera '\(link.a)' links to '\(link.b)', which is not under 'cameras'")
            }
            cameras.finish()
        }
        config.finish()
    }

    public init(identity: IdentityConfiguration, homographies: [String: Homography] = [:]) {
        self.identity = identity; self.homographies = homographies
    }

    private mutating func readCamera(_ id: String, _ camera: ConfigReader) {
        if let h = camera.nested("homography") {
            let image = Self.points(h, "image"), map = Self.points(h, "map")
            if h.node.entry("image") == nil { h.missing("image") }
            if h.node.entry("map") == nil { h.missing("map") }
            if let image, let map {
                do {
                    homographies[id] = try Homography(from: image, to: map)
                } catch {
                    h.error("camera '\(id)': invalid homography: \(error.message)")
                }
            }
            h.finish()
        }
        for link in camera.nestedList("links") ?? [] {
            let to = link.requiredString("to")
            let minT = link.duration("min_transit_seconds") ?? 0
            let maxT = link.duration("max_transit_seconds")
            if link.node.entry("max_transit_seconds") == nil { link.missing("max_transit_seconds") }
            if let to, let maxT {
                if maxT < minT { link.error("max_transit_seconds must be at least min_transit_seconds") }
                if to == id { link.error("camera '\(id)' cannot link to itself") }
                identity.links.append(CameraLink(id, to, minTransitSeconds: minT, maxTransitSeconds: maxT))
            }
            link.finish()
        }
    }

    /// `[[x, y], ...]`, reporting bad items at their position.
    static func points(_ reader: ConfigReader, _ key: String) -> [Homography.Point]? {
        guard let node = reader.raw(key) else { return nil }
        guard let items = node.items else {
            reader.error("'\(key)' must be a list of [x, y] points, found \(node.shapeName)", at: node.location)
            return nil
        }
        var out: [Homography.Point] = []
        for item in items {
            guard let pair = item.items, pair.count == 2, let x = pair[0].scalar.flatMap(Double.init),
                  let y = pair[1].scalar.flatMap(Double.init), x.isFinite, y.isFinite else {
                reader.error("each point of '\(key)' must be [x, y] with two numbers", at: item.location)
                return nil
            }
            out.append(Homography.Point(x, y))
        }
        return out
    }

    public var inputPorts: Set<PortType> { [.frames] }
    public var outputPort: PortType? { .frames }
    public var frameRequirement: FrameRequirement? { FrameRequirement(pixelFormat: .bgr24) }

    public func makeStage(context: StageContext) async throws -> any Stage {
        ReidentifyStage(spec: self, embedder: HSVStripeEmbedder(), id: context.id)
    }
}
