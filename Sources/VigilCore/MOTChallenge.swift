import Foundation

/// MOT-Challenge text files, read and written in one place for the `detect` stage's `kind: file`,
/// `vigil track` and the tests.
///
/// The rule for reading: one record per line, comma-separated, **at least 7 fields**
/// `frame,id,x,y,w,h,score`:
/// - `frame` is an integer ≥ 1 (frames are 1-based); `id` an integer (`-1` in detection files);
/// - `x,y,w,h` the box in pixels, top-left corner, width and height (not negative);
/// - `score` the detection score; in ground-truth files the 7th field is the "consider" flag (1, or 0
///   for boxes to ignore), and a negative score means "not given".
/// - Fields after the seventh are not read: detection and track files hold `-1,-1,-1` there,
///   ground truth `class,visibility`.
///
/// Spaces around fields, blank lines and lines starting with `#` are allowed; any other line is an
/// error positioned `file:line: ...`. Lines may come in any order, and a frame without records has no
/// lines. Written track lines are `frame,id,x,y,w,h,score,-1,-1,-1` (boxes with 2 decimals, scores with 4).
public enum MOTChallenge {
    /// One line of a MOT-Challenge file.
    public struct Record: Hashable, Sendable {
        /// 1-based.
        public var frame: Int
        /// The track or ground-truth identity; `-1` in detection files.
        public var id: Int
        public var box: BoundingBox
        /// The detection score, or the "consider" flag of ground truth; negative when not given.
        public var score: Double

        public init(frame: Int, id: Int, box: BoundingBox, score: Double) {
            self.frame = frame; self.id = id; self.box = box; self.score = score
        }
    }

    /// Frame numbers above this are rejected, so that a typo cannot allocate a huge per-frame table.
    public static let maxFrame = 9_999_999

    // MARK: Reading

    /// Reads the records of a file; errors name `path:line`.
    public static func read(contentsOf path: String) throws(VigilError) -> [Record] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.io, "cannot read the MOT-Challenge file; check the path", subject: path)
        }
        return try records(in: String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses MOT-Challenge text; `file` names the text in errors (`file:line: ...`).
    public static func records(in text: String, file: String) throws(VigilError) -> [Record] {
        var records: [Record] = []
        var fields: [Substring] = []
        fields.reserveCapacity(10)
        var lineNumber = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.first == "#" { continue }
            func fail(_ message: String) -> VigilError {
                VigilError(.invalidArgument, message, subject: "\(file):\(lineNumber)")
            }
            fields.removeAll(keepingCapacity: true)
            for field in trimmed.split(separator: ",", maxSplits: 7, omittingEmptySubsequences: false) {
                fields.append(field)
            }
            guard fields.count >= 7 else {
                throw fail("expected at least 7 comma-separated fields frame,id,x,y,w,h,score; found \(fields.count)")
            }
            func number(_ k: Int, _ name: String) throws(VigilError) -> Double {
                let raw = fields[k].filter { $0 != " " && $0 != "\t" }
                guard let value = Double(raw), value.isFinite else {
                    throw fail("\(name) '\(fields[k])' is not a number")
                }
                return value
            }
            func integer(_ k: Int, _ name: String, atLeast minimum: Int) throws(VigilError) -> Int {
                let value = try number(k, name)
                guard value == value.rounded(), value >= Double(minimum), value <= Double(maxFrame) else {
                    throw fail("\(name) must be an integer from \(minimum) to \(maxFrame), found '\(fields[k])'")
                }
                return Int(value)
            }
            let frame = try integer(0, "frame", atLeast: 1)
            let id = try integer(1, "id", atLeast: -1)
            let box = BoundingBox(x: try number(2, "x"), y: try number(3, "y"),
                                  width: try number(4, "width"), height: try number(5, "height"))
            guard box.width >= 0, box.height >= 0 else {
                throw fail("width and height must not be negative, found \(fields[4]),\(fields[5])")
            }
            records.append(Record(frame: frame, id: id, box: box, score: try number(6, "score")))
        }
        return records
    }

    /// Detections grouped by frame: element `f - 1` holds frame `f`'s, in file order. `frames` extends
    /// (or limits) the result; by default it ends at the highest frame number. A negative score
    /// ("not given") becomes 1 and is kept whatever `minScore`; other records below `minScore` are dropped.
    public static func detectionsByFrame(_ records: [Record], frames: Int? = nil, minScore: Double = -.infinity,
                                         label: String = "person") -> [[Detection]] {
        let count = frames ?? records.reduce(0) { max($0, $1.frame) }
        var perFrame = [[Detection]](repeating: [], count: max(0, count))
        for record in records where record.frame <= count {
            if record.score >= 0 && record.score < minScore { continue }
            perFrame[record.frame - 1].append(Detection(box: record.box, score: record.score < 0 ? 1 : record.score,
                                                        label: label))
        }
        return perFrame
    }

    // MARK: Writing

    /// Appends one track line per point: `frame,id,x,y,w,h,score,-1,-1,-1`.
    public static func appendTracks(_ tracks: [TrackPoint], frame: Int, to text: inout String) {
        for track in tracks {
            append(Record(frame: frame, id: track.trackID, box: track.box, score: track.score), to: &text)
        }
    }

    /// Appends one line `frame,id,x,y,w,h,score,-1,-1,-1`.
    public static func append(_ record: Record, to text: inout String) {
        let b = record.box
        text += "\(record.frame),\(record.id),\(fixed(b.x, 2)),\(fixed(b.y, 2)),\(fixed(b.width, 2)),"
        text += "\(fixed(b.height, 2)),\(fixed(record.score, 4)),-1,-1,-1\n"
    }

    /// The text of `records`, one line each.
    public static func text(of records: [Record]) -> String {
        var text = ""
        text.reserveCapacity(records.count * 48)
        for record in records { append(record, to: &text) }
        return text
    }

    /// `value` with `decimals` digits after the point, rounded half away from zero; non-finite or
    /// huge values write as 0 so that a line always parses.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        var unit = 1
        for _ in 0..<decimals { unit *= 10 }
        let scaled = (value * Double(unit)).rounded()
        guard scaled.isFinite, abs(scaled) < 1e15 else { return decimals == 0 ? "0" : "0." + String(repeating: "0", count: decimals) }
        let i = Int(scaled)
        let magnitude = i.magnitude
        let fraction = String(magnitude % UInt(unit))
        let sign = i < 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(magnitude)" }
        return "\(sign)\(magnitude / UInt(unit)).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
    }
}
