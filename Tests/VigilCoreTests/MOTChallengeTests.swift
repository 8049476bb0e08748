import Foundation
import Testing
import VigilCore

@Suite("MOT-Challenge files")
struct MOTChallengeTests {
    func box(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> BoundingBox {
        BoundingBox(x: x, y: y, width: w, height: h)
    }

    /// The description of the error reading `text` throws, or nil when it reads.
    func error(reading text: String) -> String? {
        do {
            _ = try MOTChallenge.records(in: text, file: "det.txt")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func writtenRecordsReadBackTheSame() throws {
        let records = [
            MOTChallenge.Record(frame: 1, id: 1, box: box(10, 20, 30.5, 40.25), score: 0.9),
            MOTChallenge.Record(frame: 1, id: 2, box: box(-5.5, 0, 1, 1), score: 0.1234),
            MOTChallenge.Record(frame: 3, id: 7, box: box(1919.99, 1079.01, 0, 12), score: 1),
        ]
        let text = MOTChallenge.text(of: records)
        #expect(text == """
            1,1,10.00,20.00,30.50,40.25,0.9000,-1,-1,-1
            1,2,-5.50,0.00,1.00,1.00,0.1234,-1,-1,-1
            3,7,1919.99,1079.01,0.00,12.00,1.0000,-1,-1,-1

            """)
        #expect(try MOTChallenge.records(in: text, file: "tracks.txt") == records)
    }

    @Test func trackPointsAreWrittenWithTheirFrame() throws {
        var text = ""
        MOTChallenge.appendTracks([TrackPoint(trackID: 4, box: box(1.234, 2.346, 3.456, 4.567), score: 0.87654)],
                                  frame: 12, to: &text)
        #expect(text == "12,4,1.23,2.35,3.46,4.57,0.8765,-1,-1,-1\n")
        let read = try MOTChallenge.records(in: text, file: "t")
        #expect(read == [MOTChallenge.Record(frame: 12, id: 4, box: box(1.23, 2.35, 3.46, 4.57), score: 0.8765)])
    }

    @Test func readsDetectionFilesWithSpacesBlankLinesCommentsAndCRLF() throws {
        let text = "# made by hand\r\n2, -1, 10, 20, 30, 40, 0.5, -1, -1, -1\r\n\r\n  1,-1,1,2,3,4,0.25,-1,-1,-1\n"
        let records = try MOTChallenge.records(in: text, file: "det.txt")
        #expect(records == [
            MOTChallenge.Record(frame: 2, id: -1, box: box(10, 20, 30, 40), score: 0.5),
            MOTChallenge.Record(frame: 1, id: -1, box: box(1, 2, 3, 4), score: 0.25),
        ])
    }

    /// MOT ground truth has 9 fields: the 7th is the "consider" flag, then class and visibility.
    @Test func readsGroundTruthWithNineFields() throws {
        let text = "1,1,1834.97,406.11,42.41,117.06,1,1,1.000\n1,2,387.62,778.94,73.70,202.09,0,7,0.250\n"
        let records = try MOTChallenge.records(in: text, file: "gt.txt")
        #expect(records.map(\.id) == [1, 2])
        #expect(records.map(\.score) == [1, 0])
        #expect(records[1].box == box(387.62, 778.94, 73.70, 202.09))
    }

    @Test func framesWithoutLinesAreEmptyAndFramesExtendsOrLimits() throws {
        let records = try MOTChallenge.records(in: "3,-1,10,10,5,5,0.9,-1,-1,-1\n1,-1,1,2,3,4,0.5\n5,-1,0,0,1,1,0.7\n",
                                               file: "det.txt")
        let byFrame = MOTChallenge.detectionsByFrame(records)
        #expect(byFrame.map(\.count) == [1, 0, 1, 0, 1])
        #expect(byFrame[2] == [Detection(box: box(10, 10, 5, 5), score: 0.9)])
        #expect(MOTChallenge.detectionsByFrame(records, frames: 7).map(\.count) == [1, 0, 1, 0, 1, 0, 0])
        #expect(MOTChallenge.detectionsByFrame(records, frames: 3).map(\.count) == [1, 0, 1])
        #expect(MOTChallenge.detectionsByFrame([], frames: 2).map(\.count) == [0, 0])
        #expect(MOTChallenge.detectionsByFrame([]).isEmpty)
    }

    @Test func scoresFilterAndAMissingScoreCountsAsCertain() throws {
        let records = try MOTChallenge.records(in: "1,-1,0,0,1,1,0.2\n1,-1,0,0,2,2,0.8\n1,-1,0,0,3,3,-1\n", file: "d")
        let kept = MOTChallenge.detectionsByFrame(records, minScore: 0.5, label: "car")[0]
        #expect(kept.map(\.box.width) == [2, 3])
        #expect(kept.map(\.score) == [0.8, 1])
        #expect(kept.allSatisfy { $0.label == "car" })
    }

    @Test(arguments: [
        ("1,-1,10,10,5,5\n", "det.txt:1: expected at least 7 comma-separated fields frame,id,x,y,w,h,score; found 6"),
        ("1,-1,10,10,5,5,0.9\n\n1,2,3\n", "det.txt:3: expected at least 7 comma-separated fields frame,id,x,y,w,h,score; found 3"),
        ("1;-1;10;10;5;5;0.9\n", "det.txt:1: expected at least 7 comma-separated fields frame,id,x,y,w,h,score; found 1"),
        ("1,-1,10,abc,5,5,0.9\n", "det.txt:1: y 'abc' is not a number"),
        ("1,-1,10,10,5,5,\n", "det.txt:1: score '' is not a number"),
        ("1,-1,10,10,5,5,nan\n", "det.txt:1: score 'nan' is not a number"),
        ("0,-1,10,10,5,5,0.9\n", "det.txt:1: frame must be an integer from 1 to 9999999, found '0'"),
        ("1.5,-1,10,10,5,5,0.9\n", "det.txt:1: frame must be an integer from 1 to 9999999, found '1.5'"),
        ("99999999,-1,10,10,5,5,0.9\n", "det.txt:1: frame must be an integer from 1 to 9999999, found '99999999'"),
        ("1,-2,10,10,5,5,0.9\n", "det.txt:1: id must be an integer from -1 to 9999999, found '-2'"),
        ("1,-1,10,10,-5,5,0.9\n", "det.txt:1: width and height must not be negative, found -5,5"),
    ])
    func badLinesAreReportedWithTheirPosition(text: String, message: String) {
        #expect(error(reading: text) == message)
    }

    @Test func readingAFileNamesItAndAMissingFileIsAnIOError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-mot-\(UUID().uuidString).txt").path
        try "1,-1,1,2,3,4,0.5\n2,-1,1,2,3\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bad = #expect(throws: VigilError.self) { try MOTChallenge.read(contentsOf: path) }
        #expect(bad?.subject == "\(path):2")
        let missing = #expect(throws: VigilError.self) { try MOTChallenge.read(contentsOf: path + ".missing") }
        #expect(missing?.code == .io)
    }

    /// Every file of the committed development set reads under the same rule, one record per line.
    @Test(arguments: ["TUD-Campus/gt.txt", "TUD-Campus/det-hard.txt", "SYNTH-Plaza-dev/gt.txt", "SYNTH-Plaza-dev/det-easy.txt"])
    func theDevelopmentSetReads(file: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/mot/" + file).path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).count
        let records = try MOTChallenge.read(contentsOf: path)
        #expect(lines > 300 && records.count == lines)
        #expect(records.allSatisfy { $0.frame >= 1 && $0.frame <= 1500 })
    }
}
