import Foundation

/// What every results list takes: `limit` (1...1000, default 100), `cursor` (the previous page's
/// `next_cursor`), `after`/`before` (a time range, after inclusive, before exclusive), `cameras`,
/// `classes`, `global_id` and `run_id`. Lists take the ones they document.
struct ListParameters: Sendable {
    static let maxLimit = 1000

    var limit: Int
    var cursor: Cursor?
    var after: Date?
    var before: Date?
    var cameras: [Int]?
    var classes: [String]?
    var globalID: Int?
    var runID: Int?

    init(_ query: Query, keyset: Keyset) throws {
        limit = try query.limit(default: 100, max: Self.maxLimit)
        cursor = try keyset.cursor(query.parameters["cursor"])
        after = try query.time("after")
        before = try query.time("before")
        cameras = try query.ids("cameras")
        classes = try query.names("classes")
        globalID = try query.int("global_id", in: 0...Int(Int32.max))
        runID = try query.int64("run_id")
        if let after, let before, after >= before {
            throw APIError.badRequest("query parameter before: must be later than after", code: "invalid_parameter")
        }
    }
}

/// One page of a list: the rows and, when there are more, the cursor of the next page.
struct Page<Item: Encodable & Sendable>: Sendable {
    var items: [Item]
    var nextCursor: String?
}
