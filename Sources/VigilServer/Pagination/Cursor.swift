import Foundation

/// An opaque page cursor: base64url of `v1.<list>.<key>,<key>...`, the last row's sort key (times as
/// microseconds since 1970, then its ids). A cursor that does not decode, belongs to another list or has
/// the wrong number of keys is a 400 `invalid_cursor`. Changing a cursor by hand moves the page's start and
/// nothing more: the caller's scope is in the query, not in the cursor.
struct Cursor: Equatable, Sendable {
    var list: String
    var key: [Int]

    static let maxLength = 200

    var encoded: String {
        let text = "v1.\(list).\(key.map(String.init).joined(separator: ","))"
        return Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init(list: String, key: [Int]) { self.list = list; self.key = key }

    /// Decodes a cursor given for `list`, whose keys are `count` integers.
    init(decoding text: String, list: String, count: Int) throws {
        let invalid = APIError.badRequest("query parameter cursor: not a cursor of this list (pass next_cursor from the previous page as it is)",
                                          code: "invalid_cursor")
        guard !text.isEmpty, text.count <= Self.maxLength,
              text.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }) else { throw invalid }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let plain = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = plain.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", parts[1] == list else { throw invalid }
        let keys = parts[2].split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard keys.count == count, keys.allSatisfy({ $0 != nil }) else { throw invalid }
        self.init(list: list, key: keys.map { $0! })
    }
}
