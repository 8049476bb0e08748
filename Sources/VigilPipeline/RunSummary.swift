public import Foundation
public import VigilCore

/// What a run did, for the summary printed at the end and `--metrics-json`.
public struct RunSummary: Sendable, Codable {
    /// `truncated`: every component completed, but a recorded input was cut short (``truncations``)
    /// and was processed up to its end; not a failure.
    public enum Status: String, Sendable, Codable { case completed, truncated, failed, stopped }

    public struct StageReport: Sendable, Codable {
        public var id: String
        public var type: String
        public var role: String
        public var received: Int
        public var framesReceived: Int
        public var sent: Int
        public var dropped: Int
        /// Seconds a stage spent per message, from taking it to asking for the next one.
        public var latency: PipelineMetrics.Distribution?
        /// Most messages waiting on the stage's inputs at once.
        public var inputHighWater: Int
        public var error: String?
    }

    public var pipeline: String
    public var mode: String
    public var status: Status
    public var startedAt: Date
    public var wallSeconds: Double
    public var framesBySource: [String: Int]
    public var stages: [StageReport]
    public var errors: [String]
    /// Inputs that ended before their container said they would, by source id.
    public var truncations: [Truncation] = []
    /// A resumed run that sought: the media time (seconds) its sources started at; `nil` when they
    /// started from the beginning.
    public var resumedAt: Double? = nil

    public var totalSourceFrames: Int { framesBySource.values.reduce(0, +) }

    /// The human summary printed at the end of a run.
    public var text: String {
        var lines: [String] = []
        let fps = wallSeconds > 0 ? Double(totalSourceFrames) / wallSeconds : 0
        lines.append("\(pipeline): \(status.rawValue) in \(format(wallSeconds))s, \(totalSourceFrames) frames (\(format(fps)) frames/s)")
        let header = ["stage", "type", "in", "out", "dropped", "p50 ms", "p95 ms", "queue max"]
        var rows = [header]
        for stage in stages {
            rows.append([stage.id, stage.type, "\(stage.received)", "\(stage.sent)", "\(stage.dropped)",
                         stage.latency.map { format($0.p50 * 1000) } ?? "-",
                         stage.latency.map { format($0.p95 * 1000) } ?? "-", "\(stage.inputHighWater)"])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append("  " + row.enumerated().map { column, cell in
                cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  "))
        }
        if let resumedAt { lines.append("resumed at \(format(resumedAt))s of media time: sources sought there, stage state restored") }
        for truncation in truncations { lines.append("warning: \(truncation.description)") }
        for error in errors { lines.append("error: \(error)") }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String { String(format: value >= 100 ? "%.0f" : "%.2f", value) }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
