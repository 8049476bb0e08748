import Foundation
import Testing
import VigilCore

/// The JSON writer and the JSON-lines shapes always produce JSON that Foundation parses back to the
/// same values, whatever the strings and numbers.
@Suite("JSON writer")
struct JSONWriterTests {
    static let strings: [String] = [
        "", "plain", "quote \" backslash \\", "\u{0}", "a\u{0}b", "\u{1}\u{1F}\u{7F}", "\u{2028}\u{2029}", "😀𝄞🇫🇷",
        "e\u{301}", String(decoding: [0xD800, 0x61] as [UInt16], as: UTF16.self),
        NSString(characters: [0xDC00], length: 1) as String,
    ]

    func object(_ body: (inout JSONWriter) -> Void) throws -> [String: Any] {
        var w = JSONWriter()
        body(&w)
        let parsed = try JSONSerialization.jsonObject(with: Data(w.text.utf8))
        return try #require(parsed as? [String: Any], "not an object: \(w.text.debugDescription)")
    }

    @Test(arguments: strings)
    func stringsAsKeysAndValuesRoundTrip(string: String) throws {
        let parsed = try object { w in
            w.raw("{"); w.key(string, first: true); w.string(string); w.key("k"); w.string(string); w.raw("}")
        }
        let value = try #require(parsed[string] as? String, "key \(string.debugDescription) missing from \(parsed)")
        #expect(Array(value.unicodeScalars) == Array(string.unicodeScalars))
        #expect((parsed["k"] as? String).map { Array($0.unicodeScalars) } == Array(string.unicodeScalars))
    }

    @Test func numbersAreJSONNumbersOrNull() throws {
        let values: [Double] = [0, -0.0, 1, -1, 1.5, 0.1 + 0.2, 123_456.789_01, 1e-7, -1e-7, 1e15, 1e20, -1e300,
                                .greatestFiniteMagnitude, .leastNonzeroMagnitude, .nan, .infinity, -.infinity]
        let parsed = try object { w in
            w.raw("{")
            for (i, v) in values.enumerated() { w.key("\(i)", first: i == 0); w.number(v) }
            w.key("int_max"); w.number(Int.max)
            w.key("int_min"); w.number(Int.min)
            w.raw("}")
        }
        for (i, v) in values.enumerated() {
            let number = parsed["\(i)"]
            if !v.isFinite {
                #expect(number is NSNull, "\(v) -> \(String(describing: number))")
                continue
            }
            let read = try #require((number as? NSNumber)?.doubleValue, "\(v) -> \(String(describing: number))")
            // Four decimals at most; integers exactly.
            #expect(abs(read - v) <= 0.00005 + abs(v) * 1e-15, "\(v) -> \(read)")
        }
        #expect((parsed["int_max"] as? NSNumber)?.int64Value == Int64.max)
        #expect((parsed["int_min"] as? NSNumber)?.int64Value == Int64.min)
    }

    @Test func eventsWithTrickyTextAreValidJSONLines() throws {
        for s in Self.strings {
            let event = Event(time: MediaTime(seconds: .nan), sourceID: s, rule: s, kind: s, message: s,
                              attributes: [s: s, "n": "\u{0}"])
            var w = JSONWriter()
            JSONLinesEncoding.encode(event, into: &w)
            #expect(!w.text.contains("\n"), "one line per event")
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(w.text.utf8)) as? [String: Any])
            #expect((parsed["message"] as? String).map { Array($0.unicodeScalars) } == Array(s.unicodeScalars))
            #expect(parsed["time"] is NSNull)
            let attributes = try #require(parsed["attributes"] as? [String: String])
            #expect(attributes.count == 2 && attributes["n"] == "\u{0}")
        }
    }
}
