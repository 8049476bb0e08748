import VigilCore

/// The running `reidentify` stage. Appearance is sampled from confirmed, confident, unoccluded
/// tracks only; every track point of a known track gets its global id and, with a homography for its
/// camera, its map position.
final class ReidentifyStage: Stage {
    private let spec: ReidentifySpec
    private let embedder: any AppearanceEmbedder
    private let id: String
    private var resolver: IdentityResolver

    init(spec: ReidentifySpec, embedder: any AppearanceEmbedder, id: String = "reidentify") {
        self.spec = spec
        self.embedder = embedder
        self.id = id
        resolver = IdentityResolver(configuration: spec.identity)
    }

    var resumeSupport: ResumeSupport { .snapshots }

    func saveState() throws -> [UInt8] { try StateCoding.encode(resolver.state) }

    func resume(at point: ResumePoint) throws {
        guard let bytes = point.states[id] else { return }
        resolver = IdentityResolver(configuration: spec.identity,
                                    state: try StateCoding.decode(IdentityResolver.State.self, from: bytes, stage: id))
    }

    func run(input: StageInput, output: StageOutput) async throws {
        for try await message in input {
            guard case .frame(var frame) = message else {
                try await output.send(message)
                continue
            }
            process(&frame)
            try await output.send(.frame(frame))
        }
    }

    /// Annotates one frame (exposed for tests and in-process use).
    func process(_ frame: inout AnnotatedFrame) {
        let camera = frame.info.sourceID
        let time = frame.info.time.seconds
        let scale = frame.imageToSourceScale
        let homography = spec.homographies[camera]
        for k in frame.tracks.indices {
            let t = frame.tracks[k]
            var descriptor: [Float]?
            let atBorder = Self.touchesBorder(t.box, width: frame.info.sourceWidth, height: frame.info.sourceHeight)
            if let image = frame.image, t.state == .confirmed, t.score >= spec.minScore, !atBorder,
               Self.coverage(of: k, in: frame.tracks) <= spec.maxOverlap {
                // Annotations are in source pixels; the image may be scaled down.
                descriptor = embedder.embed(image: image, box: t.box.scaled(x: 1 / scale.x, y: 1 / scale.y))
            }
            let foot = t.box.footPoint
            let onMap = homography?.apply(foot.x, foot.y)
            if let onMap {
                frame.tracks[k].mapX = onMap.x
                frame.tracks[k].mapY = onMap.y
            }
            frame.tracks[k].globalID = resolver.observe(camera: camera, trackID: t.trackID, time: time,
                                                        footX: foot.x, footY: foot.y, height: t.box.height,
                                                        atBorder: atBorder, map: onMap.map { ($0.x, $0.y) }, descriptor: descriptor)
        }
    }

    /// Whether a box is cut by the frame edge (its crop shows part of the person only).
    static func touchesBorder(_ box: BoundingBox, width: Int, height: Int) -> Bool {
        let margin = max(2, 0.01 * Double(max(width, height)))
        return box.x <= margin || box.y <= margin || box.maxX >= Double(width) - margin || box.maxY >= Double(height) - margin
    }

    /// The largest share of track `k`'s box covered by another track's box.
    static func coverage(of k: Int, in tracks: [TrackPoint]) -> Double {
        let box = tracks[k].box
        guard box.area > 0 else { return 1 }
        var worst = 0.0
        for (j, other) in tracks.enumerated() where j != k {
            worst = max(worst, box.intersectionArea(other.box) / box.area)
        }
        return worst
    }
}
