import Testing
import VigilCore
@testable import VigilTracking
import VigilTesting

/// A person-sized box whose centre is at (x, y).
func person(_ x: Double, _ y: Double, score: Double = 0.9) -> Detection {
    Detection(box: BoundingBox(x: x - 20, y: y - 50, width: 40, height: 100), score: score)
}

@Test func twoTargetsCrossingWithOcclusionKeepTheirIds() {
    var tracker = ByteTracker()
    var idOfA: Int?, idOfB: Int?
    for f in 0..<120 {
        let t = Double(f) / 30
        let ax = 100 + 5 * Double(f), bx = 700 - 5 * Double(f) // they meet at frame 60
        var dets: [Detection] = []
        let overlapping = abs(ax - bx) < 40
        dets.append(person(ax, 300))                          // A walks in front
        if !overlapping { dets.append(person(bx, 310)) }      // B is hidden behind A while they overlap
        let out = tracker.update(detections: dets, at: t)
        func id(near x: Double, _ y: Double) -> Int? {
            out.first { abs($0.box.centerX - x) < 15 && abs($0.box.centerY - y) < 15 }?.trackID
        }
        if f == 10 { idOfA = id(near: ax, 300); idOfB = id(near: bx, 310) }
        if f == 119 {
            #expect(idOfA != nil && idOfB != nil && idOfA != idOfB)
            #expect(id(near: ax, 300) == idOfA, "A keeps its id after the crossing")
            #expect(id(near: bx, 310) == idOfB, "B keeps its id after being hidden")
        }
    }
}

@Test(arguments: [5, 15, 40])
func targetMissingForSomeFramesKeepsItsId(missing k: Int) {
    var configuration = TrackerConfiguration()
    configuration.maxAgeSeconds = 2
    var tracker = ByteTracker(configuration: configuration)
    var first: Int?
    var last: Int?
    for f in 0..<(40 + k + 20) {
        let x = 100 + 3 * Double(f)
        let visible = f < 40 || f >= 40 + k
        let out = tracker.update(detections: visible ? [person(x, 200)] : [], at: Double(f) / 30)
        if f == 20 { first = out.first?.trackID }
        if f == 40 + k + 19 { last = out.first?.trackID }
    }
    #expect(first != nil)
    #expect(last == first, "id kept across \(k) missed frames (\(Double(k) / 30) s < max_age 2 s)")
}

@Test func targetGoneLongerThanMaxAgeGetsANewId() {
    var configuration = TrackerConfiguration()
    configuration.maxAgeSeconds = 0.5
    var tracker = ByteTracker(configuration: configuration)
    let before = tracker.update(detections: [person(100, 100)], at: 0).first?.trackID
    _ = tracker.update(detections: [person(100, 100)], at: 0.033)
    _ = tracker.update(detections: [], at: 0.3)
    _ = tracker.update(detections: [], at: 0.7)
    #expect(tracker.liveTrackCount == 0)
    _ = tracker.update(detections: [person(100, 100)], at: 1.0)
    let after = tracker.update(detections: [person(100, 100)], at: 1.033).first?.trackID
    #expect(before != nil && after != nil && after != before)
}

@Test func irregularFrameSpacingIsHandledInSeconds() {
    var rng = SplitMix(state: 3)
    var tracker = ByteTracker()
    var t = 0.0
    var ids = Set<Int>()
    var lastVelocity = 0.0
    let speed = 120.0 // px per second
    for step in 0..<150 {
        t += Double.random(in: 0.01...0.12, using: &rng) // 8 to 100 fps, skipped frames included
        let out = tracker.update(detections: [person(50 + speed * t, 240)], at: t)
        if step > 5, let p = out.first { ids.insert(p.trackID); lastVelocity = p.velocityX }
    }
    #expect(ids.count == 1)
    #expect(abs(lastVelocity - speed) < 10, "velocity is per second: \(lastVelocity)")
}

@Test func framesWithoutDetectorRunOnlyPredict() async throws {
    // The track stage: the detector runs on every 5th frame; in between tracks are predicted, not missed.
    let stage = TrackStage(configuration: TrackerConfiguration())
    var frames: [Message] = []
    for f in 0..<60 {
        let ran = f % 5 == 0
        let info = FrameInfo(sourceID: "cam", index: f, time: MediaTime(seconds: Double(f) / 30), sourceWidth: 640, sourceHeight: 480)
        frames.append(.frame(AnnotatedFrame(info: info, image: nil, detections: ran ? [person(100 + 2 * Double(f), 200)] : [],
                                            detectorRan: ran)))
    }
    let sink = CollectingSink()
    try await stage.run(input: .messages(frames), output: sink.output)
    let out = sink.frames
    #expect(out.count == 60)
    let late = out.suffix(30)
    #expect(late.allSatisfy { $0.tracks.count == 1 }, "the track is reported on every frame")
    #expect(Set(late.compactMap { $0.tracks.first?.trackID }).count == 1)
    for frame in late {
        let truth = 100 + 2 * Double(frame.info.index)
        #expect(abs(frame.tracks[0].box.centerX - truth) < 3, "predicted between detector runs")
    }
}

@Test func aTimelineThatJumpsBackStartsOverWithFreshIds() async throws {
    let stage = TrackStage(configuration: TrackerConfiguration())
    var frames: [Message] = []
    for (k, t) in [0.0, 0.1, 0.2, 0.3, 0.0, 0.1, 0.2].enumerated() { // a looped file restarts at 0
        let info = FrameInfo(sourceID: "cam", index: k, time: MediaTime(seconds: t), sourceWidth: 640, sourceHeight: 480)
        frames.append(.frame(AnnotatedFrame(info: info, image: nil, detections: [person(100, 100)], detectorRan: true)))
    }
    let sink = CollectingSink()
    try await stage.run(input: .messages(frames), output: sink.output)
    let out = sink.frames
    let before = out[3].tracks.first?.trackID, after = out[6].tracks.first?.trackID
    #expect(before != nil && after != nil && before != after, "ids stay unique within the stream")
}

@Test func classesAreTrackedApartAndFiltered() {
    var tracker = ByteTracker()
    var ids: [String: Set<Int>] = [:]
    for f in 0..<30 {
        // A person and a bag at the same place: never associated with each other's track.
        let person = Detection(box: BoundingBox(x: 100 + 2 * Double(f), y: 100, width: 40, height: 100), score: 0.9)
        let bag = Detection(box: BoundingBox(x: 102 + 2 * Double(f), y: 102, width: 40, height: 100), score: 0.9,
                            classID: 24, label: "backpack")
        for p in tracker.update(detections: f % 2 == 0 ? [person, bag] : [bag, person], at: Double(f) / 30) {
            ids[p.label, default: []].insert(p.trackID)
        }
    }
    #expect(ids["person"]?.count == 1 && ids["backpack"]?.count == 1)
    #expect(ids["person"] != ids["backpack"])

    var configuration = TrackerConfiguration()
    configuration.classes = ["person"]
    var onlyPeople = ByteTracker(configuration: configuration)
    var labels = Set<String>()
    for f in 0..<10 {
        let dets = [Detection(box: BoundingBox(x: 10, y: 10, width: 40, height: 100), score: 0.9),
                    Detection(box: BoundingBox(x: 300, y: 10, width: 40, height: 40), score: 0.9, classID: 2, label: "car")]
        for p in onlyPeople.update(detections: dets, at: Double(f) / 30) { labels.insert(p.label) }
    }
    #expect(labels == ["person"])
}
