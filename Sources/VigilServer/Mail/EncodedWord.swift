import Foundation

/// RFC 2047 encoded words for header text that is not plain ASCII: `=?UTF-8?B?...?=`, each at most 75
/// characters and never splitting a character across two words (RFC 2047 §5).
enum EncodedWord {
    /// Bytes of UTF-8 per word: 45 bytes are 60 base64 characters, 72 with `=?UTF-8?B?` and `?=`.
    static let bytesPerWord = 45

    /// True when `text` may stand in a header as it is (printable ASCII and spaces, no `=?` that a reader
    /// would take for an encoded word).
    static func isPlain(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f } && !text.contains("=?")
    }

    /// The encoded words of `text`, to be joined by folding white space (`"\r\n "`) or a space.
    static func encode(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > bytesPerWord, !chunk.isEmpty {
                words.append(word(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(word(chunk)) }
        return words
    }

    private static func word(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }
}
