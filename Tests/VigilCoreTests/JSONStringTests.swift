import Testing
import VigilCore

@Suite("JSON strings")
struct JSONStringTests {
    func quoted(_ s: String, droppingNUL: Bool = false) -> String {
        var out = ""
        JSONString.append(s, to: &out, droppingNUL: droppingNUL)
        return out
    }

    @Test func plainStringsAreQuotedWhole() {
        #expect(quoted("") == #""""#)
        #expect(quoted("cam-1/zone é 東京") == #""cam-1/zone é 東京""#)
    }

    @Test func quotesBackslashesAndControlsAreEscaped() {
        #expect(quoted(#"say "hi" \ bye"#) == #""say \"hi\" \\ bye""#)
        #expect(quoted("a\nb\rc\td\u{1}e") == #""a\nb\rc\td\u0001e""#)
        #expect(quoted("é\u{0}x") == #""é\u0000x""#)
        #expect(quoted("é\u{0}x", droppingNUL: true) == #""éx""#)
    }
}
