public import VigilCore

/// MOT-Challenge text files: detections `frame,-1,x,y,w,h,score,...` in, tracks
/// `frame,id,x,y,w,h,score,-1,-1,-1` out. Frames are 1-based; boxes are top-left, width, height.
public enum MOTFormat {
    /// Detections grouped by frame: element `f - 1` holds frame `f`'s. `frames` extends (or limits)
    /// the result; by default it is the highest frame number in the text.
    public static func parseDetections(_ text: String, frames: Int? = nil, subject: String = "detections") throws -> [[Detection]] {
        var perFrame: [[Detection]] = []
        var lineNumber = 0
        var fields: [Substring] = []
        fields.reserveCapacity(10)
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
            if trimmed.isEmpty || trimmed.first == "#" { continue }
            fields.removeAll(keepingCapacity: true)
            for f in trimmed.split(separator: ",", omittingEmptySubsequences: false) { fields.append(f) }
            guard fields.count >= 7 else {
                throw VigilError(.invalidArgument, "line \(lineNumber): expected at least 7 comma-separated values "
                                 + "(frame,id,x,y,w,h,score), found \(fields.count)", subject: subject)
            }
            func number(_ k: Int, _ name: String) throws -> Double {
                let raw = fields[k].filter { $0 != " " && $0 != "\r" }
                guard let v = Double(raw), v.isFinite else {
                    throw VigilError(.invalidArgument, "line \(lineNumber): \(name) '\(fields[k])' is not a number", subject: subject)
                }
                return v
            }
            let frameValue = try number(0, "frame")
            guard frameValue >= 1, frameValue == frameValue.rounded(), frameValue < 10_000_000 else {
                throw VigilError(.invalidArgument, "line \(lineNumber): frame must be an integer >= 1, found \(fields[0])", subject: subject)
            }
            let frame = Int(frameValue)
            if let frames, frame > frames { continue }
            let box = BoundingBox(x: try number(2, "x"), y: try number(3, "y"), width: try number(4, "width"),
                                  height: try number(5, "height"))
            let score = try number(6, "score")
            while perFrame.count < frame { perFrame.append([]) }
            perFrame[frame - 1].append(Detection(box: box, score: score))
        }
        if let frames { while perFrame.count < frames { perFrame.append([]) } }
        return perFrame
    }

    /// Appends MOT track lines for one frame.
    public static func appendTracks(_ tracks: [TrackPoint], frame: Int, to text: inout String) {
        for t in tracks {
            text += "\(frame),\(t.trackID),\(format(t.box.x)),\(format(t.box.y)),\(format(t.box.width)),"
            text += "\(format(t.box.height)),\(format(t.score)),-1,-1,-1\n"
        }
    }

    /// Two decimals, without Foundation.
    static func format(_ v: Double) -> String {
        let scaled = (v * 100).rounded()
        guard scaled.isFinite, abs(scaled) < 1e15 else { return "0" }
        let i = Int(scaled)
        let sign = i < 0 ? "-" : ""
        let a = abs(i)
        let frac = a % 100
        return "\(sign)\(a / 100).\(frac < 10 ? "0" : "")\(frac)"
    }
}
