public import VigilCore

/// The running `reidentify` stage. Appearance is sampled from confirmed, confident, unoccluded
/// tracks only; every track point of a known track gets its global id and, with a homography for its
/// camera, its map position.
public final class ReidentifyStage: Stage {
    private let spec: ReidentifySpec
    private let embedder: any AppearanceEmbedder
    private var resolver: IdentityResolver

    public init(spec: ReidentifySpec, embedder: any AppearanceEmbedder) {
        self.spec = spec
        self.embedder = embedder
        resolver = IdentityResolver(configuration: spec.identity)
    }

    public func run(input: StageInput, output: StageOutput) async throws {
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
    public func process(_ frame: inout AnnotatedFrame) {
        let camera = frame.info.sourceID
        let time = frame.info.time.seconds
        let scale = frame.imageToSourceScale
        let homography = spec.homographies[camera]
        for k in frame.tracks.indices {
            let t = frame.tracks[k]
            var descriptor: [Float]?
            if let image = frame.image, t.state == .confirmed, t.score >= spec.minScore,
               Self.coverage(of: k, in: frame.tracks) <= spec.maxOverlap {
                // Annotations are in source pixels; the image may be scaled down.
                descriptor = embedder.embed(image: image, box: t.box.scaled(x: 1 / scale.x, y: 1 / scale.y))
            }
            let foot = t.box.footPoint
            frame.tracks[k].globalID = resolver.observe(camera: camera, trackID: t.trackID, time: time,
                                                        footX: foot.x, footY: foot.y, height: t.box.height,
                                                        descriptor: descriptor)
            if let p = homography?.apply(foot.x, foot.y) {
                frame.tracks[k].mapX = p.x
                frame.tracks[k].mapY = p.y
            }
        }
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
