public import VigilCore
import PostgresNIO

extension RunStore {
    /// The checkpoint marks the run that `begin(request)` with `.resume` would continue can be resumed
    /// from, latest first, each with the stage states committed for it. Empty when there is no such run,
    /// when it belongs to another job (a later attempt then replaces it) or when the pipeline changed.
    public func resumePoints(_ request: RunRequest) async throws -> [ResumePoint] {
        let logger = database.logger
        return try await database.withConnection(doing: "reading the checkpoint marks of the run to resume") { connection in
            let previous = try await connection.query("""
                SELECT id, pipeline_hash, job_id FROM runs
                WHERE pipeline_name = \(request.pipelineName) AND sink = \(request.sink)
                  AND inputs_key = \(request.inputsKey) AND tenant_id = \(request.tenantID)
                ORDER BY id DESC LIMIT 1
                """, logger: logger)
            var last: (id: Int, hash: String, job: Int?)?
            for try await row in previous.decode((Int, String, Int?).self) { last = (row.0, row.1, row.2) }
            guard let last else { return [] }
            if let lease = request.lease, last.job != lease.jobID { return [] }
            if !last.hash.isEmpty, !request.pipelineHash.isEmpty, last.hash != request.pipelineHash { return [] }
            let rows = try await connection.query("""
                SELECT mark, stage, encode(state, 'hex') FROM run_snapshots WHERE run_id = \(last.id) ORDER BY mark DESC
                """, logger: logger)
            var points: [ResumePoint] = []
            for try await (mark, stage, hex) in rows.decode((Double, String, String).self) {
                if points.last?.mark != mark { points.append(ResumePoint(mark: mark)) }
                points[points.count - 1].states[stage] = try Self.bytes(hex: hex)
            }
            return points
        }
    }

    private static func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { throw VigilError(.database, "a stored stage state is not valid hex") }
        func value(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: throw VigilError(.database, "a stored stage state is not valid hex")
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var k = 0
        while k < digits.count {
            out.append(try value(digits[k]) << 4 | value(digits[k + 1]))
            k += 2
        }
        return out
    }
}
