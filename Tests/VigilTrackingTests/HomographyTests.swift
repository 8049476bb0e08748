import Testing
@testable import VigilTracking

@Test func homographyRoundTripThroughKnownMatrix() throws {
    let truth = Homography(matrix: [0.02, 0.004, -3, -0.001, 0.05, -10, 0.00002, 0.0009, 1])
    let image = [(100.0, 500.0), (700, 520), (650, 250), (150, 240), (400, 380), (300, 450)].map { Homography.Point($0.0, $0.1) }
    let map = image.map { truth.apply($0.x, $0.y)! }
    let h = try Homography(from: image, to: map)
    for (x, y) in [(120.0, 300.0), (500, 500), (640, 260)] {
        let want = truth.apply(x, y)!, got = h.apply(x, y)!
        #expect(abs(want.x - got.x) < 1e-6 && abs(want.y - got.y) < 1e-6)
    }
    // Exactly four points determine it too; map back with the inverse estimate.
    let four = try Homography(from: Array(image.prefix(4)), to: Array(map.prefix(4)))
    let back = try Homography(from: Array(map.prefix(4)), to: Array(image.prefix(4)))
    let p = four.apply(333, 444)!, q = back.apply(p.x, p.y)!
    #expect(abs(q.x - 333) < 1e-6 && abs(q.y - 444) < 1e-6)
}

@Test func homographyRejectsDegenerateInput() {
    let square = [(0.0, 0.0), (10, 0), (10, 10), (0, 10)].map { Homography.Point($0.0, $0.1) }
    func message(_ image: [Homography.Point], _ map: [Homography.Point]) -> String? {
        do { _ = try Homography(from: image, to: map); return nil } catch { return error.message }
    }
    #expect(message(Array(square.prefix(3)), Array(square.prefix(3)))?.contains("at least 4") == true)
    #expect(message(square, Array(square.prefix(3)))?.contains("same number") == true)
    let duplicate = [square[0], square[1], square[1], square[3]]
    #expect(message(duplicate, square)?.contains("same point") == true)
    let threeInLine = [square[0], Homography.Point(5, 0), square[1], square[2]]
    #expect(message(threeInLine, square)?.contains("one line") == true)
    let allInLine = (0..<6).map { Homography.Point(Double($0), 2 * Double($0)) }
    #expect(message(allInLine, allInLine)?.contains("one line") == true)
}
