public import VigilCore

extension Database {
    /// Camera ids for camera names (of one tenant's cameras when `tenantID` is given); an unknown name is
    /// an error that lists the known ones.
    public func cameraIDs(named names: [String], tenantID: Int? = nil) async throws -> [Int] {
        guard !names.isEmpty else { return [] }
        let rows = try await query("SELECT name, id FROM cameras WHERE $1::int8 IS NULL OR tenant_id = $1::int8 ORDER BY name",
                                   binding: [tenantID.map { .int($0) } ?? .null], doing: "reading cameras")
        var known: [String: Int] = [:]
        for row in rows { if let name = row[0].text, let id = row[1].int { known[name] = id } }
        return try names.map { name in
            guard let id = known[name] else {
                let list = known.keys.sorted().joined(separator: ", ")
                throw VigilError(.invalidArgument, "unknown camera '\(name)'; the database has \(list.isEmpty ? "no cameras" : list)",
                                 subject: name)
            }
            return id
        }
    }

    /// How many rows `query` selects (for progress).
    public func count(_ query: TabularQuery) async throws -> Int {
        try query.validate()
        let ids = try await cameraIDs(named: query.cameras, tenantID: query.tenantID)
        return try await scalar(sql: "SELECT count(*) FROM (\(query.select(cameraIDs: ids))) q", doing: "counting rows").int ?? 0
    }

    /// Streams the rows of `query` to `row`, one at a time as they arrive from a server-side
    /// `COPY (SELECT ...) TO STDOUT (FORMAT binary)`, so memory stays constant however many rows there
    /// are. `row` runs on the export's own connection thread (blocking writes there block no Swift task
    /// thread), always the same one, one call at a time; the array it is given is reused for the next row.
    /// Returns the number of rows.
    @discardableResult
    public func streamRows(_ query: TabularQuery, _ row: @escaping @Sendable ([SQLValue]) throws -> Void) async throws -> Int {
        try query.validate()
        let ids = try await cameraIDs(named: query.cameras, tenantID: query.tenantID)
        let sql = "COPY (\(query.select(cameraIDs: ids))) TO STDOUT (FORMAT binary)"
        let types = query.columns.map(\.type)
        let connection = LibPQConnection(url: url, operationTimeout: .seconds(120), name: "vigil-export")
        defer { connection.close() }
        return try await connection.withSession(doing: "exporting \(query.dataset.rawValue)") { session in
            var decoder = CopyBinaryDecoder(types: types)
            var values: [SQLValue] = []
            values.reserveCapacity(types.count)
            var rows = 0
            try session.copyOut(sql) { message in
                if try decoder.decode(message, into: &values) {
                    try row(values)
                    rows += 1
                }
            }
            return rows
        }
    }
}
