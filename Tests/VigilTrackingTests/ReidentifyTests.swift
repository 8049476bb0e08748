import Testing
import VigilCore
@testable import VigilTracking

private func descriptor(_ hot: Int, dimension: Int = 8, noise: Float = 0) -> [Float] {
    var v = [Float](repeating: 0.05, count: dimension)
    v[hot] = 1
    v[(hot + 1) % dimension] += noise
    return Appearance.normalised(v)!
}

/// Feeds `frames` observations of one track, 0.1 s apart from `start`, and returns the last global id.
@discardableResult
private func observe(_ r: inout IdentityResolver, _ camera: String, _ track: Int, from start: Double, frames: Int = 5,
                     foot: (Double, Double), look: [Float]) -> Int? {
    var gid: Int?
    for k in 0..<frames {
        gid = r.observe(camera: camera, trackID: track, time: start + 0.1 * Double(k), footX: foot.0, footY: foot.1,
                        height: 100, descriptor: look)
    }
    return gid
}

@Test func relinksALostTrackInsideOneCamera() {
    var r = IdentityResolver()
    let a = observe(&r, "cam", 1, from: 0, foot: (100, 300), look: descriptor(0))
    #expect(a != nil)
    // Same look, starts 1 s later, 40 px away: the same person.
    #expect(observe(&r, "cam", 2, from: 1.5, foot: (140, 300), look: descriptor(0, noise: 0.1)) == a)
    // Different look nearby: someone else.
    let c = observe(&r, "cam", 3, from: 2.5, foot: (150, 300), look: descriptor(4))
    #expect(c != nil && c != a)
    // Same look but far away: someone else.
    let d = observe(&r, "cam", 4, from: 3.5, foot: (700, 300), look: descriptor(0))
    #expect(d != a)
    // Same look, nearby, but after relink_seconds: a new identity.
    var late = IdentityResolver()
    let e = observe(&late, "cam", 1, from: 0, foot: (100, 300), look: descriptor(2))
    #expect(observe(&late, "cam", 2, from: 10, foot: (100, 300), look: descriptor(2)) != e)
}

@Test func globalIdentitiesFollowTheCameraTopology() {
    var configuration = IdentityConfiguration()
    configuration.links = [CameraLink("left", "right", minTransitSeconds: 0, maxTransitSeconds: 10)]
    var r = IdentityResolver(configuration: configuration)
    let walker = observe(&r, "left", 1, from: 0, frames: 30, foot: (700, 300), look: descriptor(1))
    // Overlapping views: seen on the right while still on the left.
    #expect(observe(&r, "right", 9, from: 2.5, foot: (50, 300), look: descriptor(1)) == walker)
    // Someone else on the right at the same time.
    #expect(observe(&r, "right", 10, from: 2.6, foot: (60, 400), look: descriptor(5)) != walker)
    // Outside the transit window: a new person.
    let later = observe(&r, "right", 11, from: 40, foot: (50, 300), look: descriptor(1))
    #expect(later != nil && later != walker)
    // A camera without a link never shares identities.
    #expect(observe(&r, "lobby", 1, from: 3, foot: (50, 300), look: descriptor(1)) != walker)
}

@Test func twoSimultaneousTracksNeverShareAGlobalID() {
    var r = IdentityResolver()
    _ = observe(&r, "cam", 1, from: 0, foot: (100, 300), look: descriptor(3))
    var ids: [Int?] = []
    // Two look-alikes appear together right where the first one was lost.
    for k in 0..<5 {
        let t = 1 + 0.1 * Double(k)
        ids.append(r.observe(camera: "cam", trackID: 2, time: t, footX: 110, footY: 300, height: 100, descriptor: descriptor(3)))
        ids.append(r.observe(camera: "cam", trackID: 3, time: t, footX: 90, footY: 300, height: 100, descriptor: descriptor(3)))
    }
    #expect(ids[8] != nil && ids[9] != nil && ids[8] != ids[9])
}

/// A BGR image with a "person" of two colours (top, bottom) at the given box.
private func scene(width: Int = 320, height: Int = 240, people: [(BoundingBox, top: (UInt8, UInt8, UInt8), bottom: (UInt8, UInt8, UInt8))]) -> FrameImage {
    let image = FrameImage(width: width, height: height, format: .bgr24)
    let p = image.baseAddress.assumingMemoryBound(to: UInt8.self)
    for y in 0..<height { for x in 0..<width {
        let o = y * image.stride + x * 3
        p[o] = 90; p[o + 1] = 110; p[o + 2] = 100 // greyish-green background
    } }
    for (box, top, bottom) in people {
        for y in Int(box.y)..<Int(box.maxY) { for x in Int(box.x)..<Int(box.maxX) {
            let c = Double(y) < box.y + box.height / 2 ? top : bottom
            let o = y * image.stride + x * 3
            p[o] = c.0; p[o + 1] = c.1; p[o + 2] = c.2
        } }
    }
    return image
}

@Test func stripeHistogramsSeparateClothingColours() throws {
    let embedder = HSVStripeEmbedder()
    let redOverBlue = ((UInt8(30), UInt8(30), UInt8(200)), (UInt8(180), UInt8(40), UInt8(20)))
    let small = BoundingBox(x: 20, y: 20, width: 30, height: 80), large = BoundingBox(x: 150, y: 40, width: 50, height: 150)
    let other = BoundingBox(x: 80, y: 20, width: 30, height: 80)
    let image = scene(people: [(small, redOverBlue.0, redOverBlue.1), (large, redOverBlue.0, redOverBlue.1),
                               (other, (40, 160, 40), (30, 30, 30))])
    let a = try #require(embedder.embed(image: image, box: small))
    let b = try #require(embedder.embed(image: image, box: large))
    let c = try #require(embedder.embed(image: image, box: other))
    #expect(a.count == embedder.dimension)
    #expect(Appearance.similarity(a, b) > 0.9, "same clothes at another size")
    #expect(Appearance.similarity(a, c) < 0.5, "different clothes")
    // Upside down (blue over red) differs: stripes keep the vertical layout.
    let flipped = scene(people: [(small, redOverBlue.1, redOverBlue.0)])
    #expect(Appearance.similarity(a, try #require(embedder.embed(image: flipped, box: small))) < 0.6)
    #expect(embedder.embed(image: image, box: BoundingBox(x: 400, y: 400, width: 30, height: 80)) == nil, "outside")
}

@Test func reidentifyStageMapsScaledImagesAndSetsMapPositions() throws {
    let h = try Homography(from: [.init(0, 0), .init(640, 0), .init(640, 480), .init(0, 480)],
                           to: [.init(0, 0), .init(64, 0), .init(64, 48), .init(0, 48)])
    var identity = IdentityConfiguration()
    identity.minSamples = 1
    let stage = ReidentifyStage(spec: ReidentifySpec(identity: identity, homographies: ["cam": h]), embedder: HSVStripeEmbedder())
    // Source is 640x480, pixels arrive at half size; the person is at source box (100, 100, 60, 160).
    let image = scene(people: [(BoundingBox(x: 50, y: 50, width: 30, height: 80), (30, 30, 200), (180, 40, 20))])
    let info = FrameInfo(sourceID: "cam", index: 0, time: .zero, sourceWidth: 640, sourceHeight: 480)
    var frame = AnnotatedFrame(info: info, image: image,
                               tracks: [TrackPoint(trackID: 4, box: BoundingBox(x: 100, y: 100, width: 60, height: 160), score: 0.9)])
    stage.process(&frame)
    let t = frame.tracks[0]
    #expect(t.globalID != nil)
    #expect(abs((t.mapX ?? -1) - 13) < 1e-6 && abs((t.mapY ?? -1) - 26) < 1e-6, "foot point (130, 260) px -> (13, 26) m")
}

@Test func noRelinkForPeopleLeavingAndEnteringTheView() {
    var r = IdentityResolver()
    var gone: Int?
    for k in 0..<5 {
        gone = r.observe(camera: "cam", trackID: 1, time: 0.1 * Double(k), footX: 5, footY: 300, height: 100,
                         atBorder: k == 4, descriptor: descriptor(6))
    }
    var back: Int?
    for k in 0..<5 {
        back = r.observe(camera: "cam", trackID: 2, time: 1 + 0.1 * Double(k), footX: 5, footY: 300, height: 100,
                         atBorder: k == 0, descriptor: descriptor(6))
    }
    #expect(gone != nil && back != nil && back != gone, "walked out and (someone) walked in: not an occlusion")
}

@Test func camerasOnOneSiteMapMustAgreeOnThePosition() {
    var configuration = IdentityConfiguration()
    configuration.links = [CameraLink("a", "b", minTransitSeconds: 0, maxTransitSeconds: 10)]
    var r = IdentityResolver(configuration: configuration)
    var here: Int?
    for k in 0..<10 {
        here = r.observe(camera: "a", trackID: 1, time: 0.1 * Double(k), footX: 100, footY: 300, height: 100,
                         map: (x: 5, y: 5), descriptor: descriptor(2))
    }
    var elsewhere: Int?, same: Int?
    for k in 0..<5 {
        let t = 0.5 + 0.1 * Double(k)
        elsewhere = r.observe(camera: "b", trackID: 7, time: t, footX: 100, footY: 300, height: 100,
                              map: (x: 9, y: 5), descriptor: descriptor(2))
        same = r.observe(camera: "b", trackID: 8, time: t, footX: 300, footY: 300, height: 100,
                         map: (x: 5.4, y: 5), descriptor: descriptor(2))
    }
    #expect(same == here, "look-alike at the same place on the map, seen at once: the same person")
    #expect(elsewhere != here, "look-alike 4 m away at the same moment: someone else")
}
