import Testing
import VigilCore
@testable import VigilTracking
import VigilTesting

/// A resumed run restores the tracker and the re-identifier from a checkpoint and must go on exactly as
/// the undisturbed run did: the same ids, the same boxes to the last bit.

/// Frames of a crowd: people walk in, cross, hide behind each other and leave; every third frame has a
/// missed detection and some scores are low (both association stages and every lifecycle state occur).
private func crowdFrames(count: Int) -> [Message] {
    var rng = SplitMix(state: 11)
    return (0..<count).map { f in
        let t = Double(f) / 10
        var detections: [Detection] = []
        for k in 0..<6 {
            let x = 40 + Double((f * (3 + k) + 97 * k) % 700), y = 120 + 55 * Double(k)
            if (f + k) % 3 == 0 && k % 2 == 0 { continue }
            detections.append(person(x + Double.random(in: -2...2, using: &rng), y,
                                     score: k == 5 ? 0.35 : Double.random(in: 0.6...0.95, using: &rng)))
        }
        let info = FrameInfo(sourceID: f % 4 == 3 ? "east" : "west", index: f, time: MediaTime(seconds: t),
                             sourceWidth: 800, sourceHeight: 600)
        return .frame(AnnotatedFrame(info: info, image: nil, detections: detections, detectorRan: true))
    }
}

private func tracks(_ messages: [Message]) -> [[TrackPoint]] {
    messages.compactMap { if case .frame(let f) = $0 { f.tracks } else { nil } }
}

@Test func aTrackStageRestoredFromItsStateContinuesExactlyAsTheUndisturbedOne() async throws {
    let frames = crowdFrames(count: 300)
    let configuration = TrackerConfiguration()
    let undisturbed = CollectingSink()
    try await TrackStage(configuration: configuration, id: "tracks").run(input: .messages(frames), output: undisturbed.output)

    // The first stage sees 180 frames and writes its state down; a new one restores it and takes the rest.
    let first = TrackStage(configuration: configuration, id: "tracks")
    let before = CollectingSink()
    try await first.run(input: .messages(Array(frames.prefix(180))), output: before.output)
    let state = try first.saveState()
    let second = TrackStage(configuration: configuration, id: "tracks")
    try second.resume(at: ResumePoint(mark: 18, states: ["tracks": state]))
    let after = CollectingSink()
    try await second.run(input: .messages(Array(frames.dropFirst(180))), output: after.output)

    let expected = tracks(undisturbed.messages)
    let got = tracks(before.messages) + tracks(after.messages)
    #expect(expected.count == 300)
    #expect(Set(expected.joined().map(\.trackID)).count > 6, "the scene should create and lose tracks")
    #expect(got == expected)
}

@Test func aRestoredIdentityResolverDecidesAsTheUndisturbedOne() throws {
    var configuration = IdentityConfiguration()
    configuration.links = [CameraLink("west", "east", minTransitSeconds: 0, maxTransitSeconds: 4)]
    var rng = SplitMix(state: 5)
    // Tracks that come and go on two cameras with descriptors drawn from a few "people".
    let people: [[Float]] = (0..<4).map { who in (0..<8).map { $0 / 2 == who ? 1 : 0.1 } }
    var observations: [(camera: String, track: Int, time: Double, x: Double, descriptor: [Float]?)] = []
    for f in 0..<400 {
        let t = Double(f) / 10
        for k in 0..<3 where (f / 40 + k) % 2 == 0 {
            let who = (f / 60 + k) % people.count
            let descriptor = f % 2 == 0 ? people[who].map { $0 + Float.random(in: -0.02...0.02, using: &rng) } : nil
            observations.append((k == 2 ? "east" : "west", 1 + k + 3 * (f / 40), t, Double(100 + f % 300), descriptor))
        }
    }
    func observe(_ resolver: inout IdentityResolver, _ o: (camera: String, track: Int, time: Double, x: Double, descriptor: [Float]?)) -> Int? {
        resolver.observe(camera: o.camera, trackID: o.track, time: o.time, footX: o.x, footY: 300, height: 100,
                         map: (o.x / 50, 6), descriptor: o.descriptor)
    }
    var undisturbed = IdentityResolver(configuration: configuration)
    let expected = observations.map { observe(&undisturbed, $0) }
    #expect(Set(expected.compactMap { $0 }).count > 3)

    let cut = observations.count * 2 / 3
    var first = IdentityResolver(configuration: configuration)
    var got = observations.prefix(cut).map { observe(&first, $0) }
    let bytes = try StateCoding.encode(first.state)
    var second = IdentityResolver(configuration: configuration,
                                  state: try StateCoding.decode(IdentityResolver.State.self, from: bytes, stage: "identities"))
    got += observations.dropFirst(cut).map { observe(&second, $0) }
    #expect(got == expected)
}

@Test func aDamagedStateIsAClearError() throws {
    let stage = TrackStage(configuration: TrackerConfiguration(), id: "tracks")
    #expect(throws: VigilError.self) { try stage.resume(at: ResumePoint(mark: 10, states: ["tracks": [1, 2, 3]])) }
    do {
        try stage.resume(at: ResumePoint(mark: 10, states: ["tracks": Array("not a plist".utf8)]))
    } catch let error as VigilError {
        #expect(error.message.contains("checkpoint") && error.subject == "tracks")
    }
}
