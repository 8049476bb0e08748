public import VigilStore
public import VigilCore
import Synchronization

/// A tabular export from the database: the query's rows streamed from PostgreSQL into a
/// ``TabularWriter`` and renamed into place when complete.
public enum TabularExport {
    /// Exports `query` as `format` to `path` and returns the number of rows. `progress` is called with
    /// the rows written so far, every 10,000 rows and at the end. Once `stop` is requested the export
    /// ends with an error and leaves no file behind.
    @discardableResult
    public static func run(database: Database, query: TabularQuery, format: TabularFormat, path: String,
                           stop: ShutdownSignal? = nil, progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        var query = query
        query.order = try format.order(for: query.dataset)
        let writer = try TabularWriter(format: format, columns: query.columns, path: path)
        let rows = try await database.streamRows(query) { row in
            if let stop, stop.isRequested { throw VigilError(.cancelled, "the export was stopped; no file was written", subject: path) }
            try writer.write(row)
            if writer.rows % 10_000 == 0 { progress(writer.rows) }
        }
        try writer.finish()
        progress(rows)
        return rows
    }
}
