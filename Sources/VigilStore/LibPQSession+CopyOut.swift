internal import CLibPQ

extension LibPQSession {
    /// Runs `COPY (...) TO STDOUT` and hands each data row, as the server sent it, to `row` while it
    /// arrives: libpq holds one row at a time, so memory does not grow with the result. The deadline
    /// applies to each wait for more data (an idle limit), not to the whole export, which may be long.
    /// Returns the number of rows.
    @discardableResult
    func copyOut(_ sql: String, _ row: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let conn = try connected()
        try check(PQsendQuery(conn, sql) == 1, conn, "sending COPY")
        try flush(conn, Deadline(after: configuration.operationTimeout))
        guard let result = try nextResult(conn, Deadline(after: configuration.operationTimeout)) else {
            throw LibPQError(.protocolViolation, "the server did not answer COPY")
        }
        guard PQresultStatus(result) == PGRES_COPY_OUT else {
            let error = resultError(result, conn)
            PQclear(result)
            try drainResults(conn, Deadline(after: configuration.operationTimeout))
            throw error
        }
        PQclear(result)
        var count = 0
        var buffer: UnsafeMutablePointer<CChar>?
        while true {
            let length = PQgetCopyData(conn, &buffer, 1)
            if length > 0, let data = buffer {
                defer { PQfreemem(data) }
                do {
                    try row(UnsafeRawBufferPointer(start: data, count: Int(length)))
                } catch {
                    discard()   // the rest of the COPY is unread: the connection cannot be reused
                    throw error
                }
                count += 1
            } else if length == 0 {
                try wait(conn, for: .read, Deadline(after: configuration.operationTimeout), "waiting for COPY data")
                if PQconsumeInput(conn) == 0 { throw connectionError(conn, "reading COPY data") }
            } else if length == -1 {
                break
            } else {
                throw connectionError(conn, "reading COPY data")
            }
        }
        try drainResults(conn, Deadline(after: configuration.operationTimeout))
        return count
    }
}
