import VigilStore

/// The sort key of one list and the SQL that pages over it: the key columns are selected as integers
/// (times as exact microseconds), and the next page is the rows strictly after the last one in the
/// list's order — so rows inserted meanwhile are either after the cursor (newer, in a list read oldest
/// first) or before it (in a list read newest first), and no row is skipped or repeated.
struct Keyset: Sendable {
    struct Column: Sendable {
        var sql: String
        var isTime: Bool
    }

    let list: String
    let columns: [Column]
    let descending: Bool

    init(list: String, time: String, ids: [String], descending: Bool) {
        self.list = list
        self.columns = [Column(sql: time, isTime: true)] + ids.map { Column(sql: $0, isTime: false) }
        self.descending = descending
    }

    /// The key, as many integer columns at the end of the select list.
    var select: String {
        columns.map { $0.isTime ? "(extract(epoch FROM \($0.sql)) * 1000000)::int8" : "\($0.sql)::int8" }.joined(separator: ", ")
    }

    var orderBy: String { columns.map { "\($0.sql) \(descending ? "DESC" : "ASC")" }.joined(separator: ", ") }

    /// Rows after `cursor` in this list's order.
    func after(_ cursor: Cursor, _ sql: inout SQLBuilder) -> String {
        let values = zip(columns, cursor.key).map { column, value in
            column.isTime ? "timestamptz 'epoch' + \(sql.bind(value))::int8 * interval '1 microsecond'" : "\(sql.bind(value))::int8"
        }
        return "(\(columns.map(\.sql).joined(separator: ", "))) \(descending ? "<" : ">") (\(values.joined(separator: ", ")))"
    }

    /// Times a cursor may hold: years 1 to 9999, in microseconds since 1970 (PostgreSQL's own range is wider).
    static let times = -62_135_596_800_000_000...253_402_300_799_999_999

    func cursor(_ text: String?) throws -> Cursor? {
        guard let text else { return nil }
        let cursor = try Cursor(decoding: text, list: list, count: columns.count)
        for (column, value) in zip(columns, cursor.key) where column.isTime && !Self.times.contains(value) {
            throw APIError.badRequest("query parameter cursor: not a cursor of this list (pass next_cursor from the previous page as it is)",
                                      code: "invalid_cursor")
        }
        return cursor
    }

    /// Splits `limit + 1` fetched rows into a page: the key of a row is its last `columns.count` values.
    func page<T>(_ rows: [[SQLValue]], limit: Int, _ make: ([SQLValue]) throws -> T) throws -> (items: [T], next: String?) {
        let items = try rows.prefix(limit).map(make)
        guard rows.count > limit, let last = rows.prefix(limit).last else { return (items, nil) }
        let key = last.suffix(columns.count).map { $0.int ?? 0 }
        return (items, Cursor(list: list, key: Array(key)).encoded)
    }
}
