import Testing
@testable import VigilServer

/// `Range: bytes=...` against a representation of 1,000 bytes (RFC 9110 §14.1.2).
@Suite struct ByteRangeTests {
    @Test func rangesSelectTheBytesTheRFCSays() {
        #expect(ByteRange.parse(nil, size: 1000) == .whole)
        #expect(ByteRange.parse("bytes=0-499", size: 1000) == .partial(ByteRange(first: 0, last: 499)))
        #expect(ByteRange.parse("bytes=500-", size: 1000) == .partial(ByteRange(first: 500, last: 999)))
        #expect(ByteRange.parse("bytes=-100", size: 1000) == .partial(ByteRange(first: 900, last: 999)))
        #expect(ByteRange.parse("bytes=-5000", size: 1000) == .partial(ByteRange(first: 0, last: 999)))
        #expect(ByteRange.parse("bytes=900-5000", size: 1000) == .partial(ByteRange(first: 900, last: 999)))
        #expect(ByteRange.parse("BYTES=1-1", size: 1000) == .partial(ByteRange(first: 1, last: 1)))
    }

    @Test func nothingToSelectIs416AndNonsenseIsIgnored() {
        #expect(ByteRange.parse("bytes=1000-", size: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=99999999999999999999999-", size: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-", size: 0) == .unsatisfiable)
        // Ignored (the whole file is sent): other units, several ranges, backwards or malformed ranges.
        for header in ["items=0-1", "bytes=0-1,5-6", "bytes=5-1", "bytes=a-b", "bytes=-", "bytes=1", "bytes= 1 - 2 x", ""] {
            #expect(ByteRange.parse(header, size: 1000) == .whole, "\(header)")
        }
    }

    @Test func attachmentNamesSurviveAnyCharacters() {
        #expect(ExportController.attachment("vigil-track_points-7.csv")
                == "attachment; filename=\"vigil-track_points-7.csv\"; filename*=UTF-8''vigil-track_points-7.csv")
        #expect(ExportController.attachment("caméra \"1\".csv")
                == "attachment; filename=\"cam_ra _1_.csv\"; filename*=UTF-8''cam%C3%A9ra%20%221%22.csv")
    }
}
