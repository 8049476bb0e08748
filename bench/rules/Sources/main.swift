// The alert engine alone: 200 tracks walking through 10 zones and across 10 lines, with enter, exit,
// dwell, crowd and line_cross rules, over 2,000 frames. Prints track-frames per second (tracks x frames
// / seconds spent in AlertEngine.process), median of the rounds.
//
//   swift build -c release --product vigil-bench-rules && .build/release/vigil-bench-rules [rounds]
import Foundation
import VigilCore
import VigilRules

let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 5 : 5
let trackCount = 200, frameCount = 2000, fps = 25.0

var zones: [ZoneDefinition] = []
var lines: [LineDefinition] = []
var rules: [RuleDefinition] = []
for i in 0..<10 {
    let x = Double(i % 5) * 380, y = Double(i / 5) * 520
    let id = "z\(i)"
    zones.append(ZoneDefinition(id: id, polygon: Polygon([Point(x, y), Point(x + 300, y + 20), Point(x + 340, y + 400),
                                                         Point(x - 20, y + 380), Point(x + 40, y + 200)])))
    rules.append(RuleDefinition(id: "enter-\(id)", kind: .zoneEnter(zone: id)))
    rules.append(RuleDefinition(id: "exit-\(id)", kind: .zoneExit(zone: id)))
    rules.append(RuleDefinition(id: "dwell-\(id)", kind: .dwell(zone: id, seconds: 10, maxGap: 1), updateEvery: 5))
    rules.append(RuleDefinition(id: "crowd-\(id)", kind: .crowd(zone: id, count: 8, seconds: 2, hysteresis: 2, clearFor: 2)))
    let lx = 100 + Double(i) * 180
    lines.append(LineDefinition(id: "l\(i)", segment: Segment(Point(lx, 0), Point(lx + 40, 1080)), band: 3, minSideTime: 0.3))
    rules.append(RuleDefinition(id: "count-l\(i)", kind: .lineCross(line: "l\(i)", direction: "both")))
}
let configuration = AlertConfiguration(zones: zones, lines: lines, rules: rules)

// Deterministic walkers bouncing inside 1920x1080.
var frames: [AnnotatedFrame] = []
frames.reserveCapacity(frameCount)
var state = (0..<trackCount).map { i -> (x: Double, y: Double, vx: Double, vy: Double) in
    let a = Double(i) * 2.399963
    return (Double(i * 97 % 1920), Double(i * 53 % 1080), 60 * cos(a), 40 * sin(a))
}
for f in 0..<frameCount {
    let t = Double(f) / fps
    var tracks: [TrackPoint] = []
    tracks.reserveCapacity(trackCount)
    for i in 0..<trackCount {
        var s = state[i]
        s.x += s.vx / fps; s.y += s.vy / fps
        if s.x < 0 || s.x > 1920 { s.vx = -s.vx }
        if s.y < 0 || s.y > 1080 { s.vy = -s.vy }
        state[i] = s
        tracks.append(TrackPoint(trackID: i + 1, box: BoundingBox(x: s.x - 15, y: s.y - 80, width: 30, height: 80),
                                 score: 0.9, state: .confirmed, age: t))
    }
    frames.append(AnnotatedFrame(info: FrameInfo(sourceID: "cam", index: f, time: MediaTime(seconds: t),
                                                 sourceWidth: 1920, sourceHeight: 1080), image: nil, tracks: tracks))
}

var rates: [Double] = []
var events = 0
for round in 1...rounds {
    var engine = try AlertEngine(configuration)
    var work = frames
    events = 0
    let clock = ContinuousClock()
    let start = clock.now
    for i in work.indices { events += engine.process(&work[i]).count }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    rates.append(Double(trackCount * frameCount) / seconds)
    print("round \(round): \(Int(rates.last!)) track-frames/s (\(String(format: "%.2f", seconds)) s, \(events) events)")
}
let median = rates.sorted()[rates.count / 2]
print("alert engine: \(trackCount) tracks, \(zones.count) zones, \(lines.count) lines, \(rules.count) rules: "
      + "median \(Int(median)) track-frames/s over \(rounds) rounds (goal >= 1,000,000)")
