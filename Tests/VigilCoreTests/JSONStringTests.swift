import Foundation
import Testing
import VigilCore

/// Strings that JSON writers get wrong: the escaper's output must always parse (Foundation's
/// JSONSerialization as the judge) and give back exactly the same Unicode scalars.
enum TrickyStrings {
    static let controls = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar($0)! }))

    /// Strings with unpaired or reversed UTF-16 surrogates. A Swift `String` cannot hold one: decoding
    /// (or bridging from NSString) repairs each to U+FFFD, which is what must reach the JSON.
    static let fromBadUTF16: [String] = [
        String(decoding: [0xD800] as [UInt16], as: UTF16.self),
        String(decoding: [0x61, 0xDC00, 0x62] as [UInt16], as: UTF16.self),
        String(decoding: [0xDE00, 0xD83D] as [UInt16], as: UTF16.self),
        String(decoding: [0xD83D, 0xD83D, 0xDE00] as [UInt16], as: UTF16.self),
        NSString(characters: [0xD83D, 0x20], length: 2) as String,
        String(decoding: [0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80] as [UInt8], as: UTF8.self),   // bad UTF-8, CESU surrogate
    ]

    static let all: [String] = [
        "", "plain", "quote \" backslash \\ slash / tab \t newline \n return \r",
        "\u{0}", "a\u{0}b\u{0}", controls, "\u{7F}\u{80}\u{9F}", "\u{2028}\u{2029}", "\u{FEFF}bom", "\u{FFFD}\u{FFFF}",
        "😀", "𝄞 clef", "🇫🇷🏳️‍🌈", "e\u{301} vs é", "\u{10FFFF}", "日本語", "\\u0000 is not NUL", "\"\\\"",
    ] + fromBadUTF16
}

/// Parses `json` (a JSON text, possibly a bare string) with Foundation.
func parseJSON(_ json: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
}

@Suite("JSON string escaping")
struct JSONStringTests {
    func escaped(_ s: String, droppingNUL: Bool = false) -> String {
        var out = ""
        JSONString.append(s, to: &out, droppingNUL: droppingNUL)
        return out
    }

    @Test(arguments: TrickyStrings.all)
    func roundTripsThroughJSONSerialization(string: String) throws {
        let json = escaped(string)
        #expect(!json.unicodeScalars.contains { $0.value < 0x20 }, "raw control character in \(json.debugDescription)")
        let parsed = try #require(try parseJSON(json) as? String, "\(json.debugDescription) is not a JSON string")
        #expect(Array(parsed.unicodeScalars) == Array(string.unicodeScalars), "\(json.debugDescription)")
    }

    @Test(arguments: TrickyStrings.all)
    func droppingNULLeavesOutOnlyNUL(string: String) throws {
        let json = escaped(string, droppingNUL: true)
        let parsed = try #require(try parseJSON(json) as? String)
        #expect(Array(parsed.unicodeScalars) == Array(string.unicodeScalars.filter { $0 != "\u{0}" }))
    }

    @Test func badSurrogatesBecomeTheReplacementCharacter() {
        #expect(TrickyStrings.fromBadUTF16[0] == "\u{FFFD}")
        #expect(escaped(TrickyStrings.fromBadUTF16[1]) == "\"a\u{FFFD}b\"")
        #expect(TrickyStrings.fromBadUTF16.allSatisfy { $0.unicodeScalars.contains("\u{FFFD}") })
    }

    @Test func shortEscapesAndUnicodeEscapes() {
        #expect(escaped("\"\\\n\r\t") == #""\"\\\n\r\t""#)
        #expect(escaped("\u{0}\u{1}\u{1F}\u{8}\u{C}") == #""\u0000\u0001\u001f\u0008\u000c""#)
        #expect(escaped("😀/\u{7F}") == "\"😀/\u{7F}\"")
        #expect(escaped("\u{FEFF}x") == #""\ufeffx""#)
    }
}
