import Foundation
public import VigilCore

/// Detections read from a MOT-Challenge `det.txt`: `frame,id,x,y,w,h,score[,...]` per line, frames 1-based,
/// boxes in source pixels. Lets trackers be evaluated on published detections and imports other detectors.
public struct MOTDetections: Sendable {
    /// Detections by 0-based frame index.
    public private(set) var byFrame: [Int: [Detection]] = [:]
    public let path: String

    public init(path: String, label: String = "person", minScore: Double = -.infinity) throws(VigilError) {
        self.path = path
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw VigilError(.io, "cannot read the detections file; check the path", subject: path, cause: error)
        }
        var lineNumber = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard fields.count >= 6, fields.prefix(7).allSatisfy({ $0 != nil && $0!.isFinite }),
                  let frame = fields[0], frame >= 1, frame == frame.rounded() else {
                throw VigilError(.invalidArgument,
                                 "line \(lineNumber): expected frame,id,x,y,w,h,score with a 1-based frame number",
                                 subject: path)
            }
            let score = fields.count > 6 ? fields[6]! : 1
            // MOT uses -1 for "no score" in ground truth; keep those.
            if score >= 0 && score < minScore { continue }
            let detection = Detection(box: BoundingBox(x: fields[2]!, y: fields[3]!, width: fields[4]!, height: fields[5]!),
                                      score: score < 0 ? 1 : score, classID: 0, label: label)
            byFrame[Int(frame) - 1, default: []].append(detection)
        }
    }

    public func detections(forFrame index: Int) -> [Detection] { byFrame[index] ?? [] }
}
