import Foundation
import VigilCore
import VigilStore

/// The running `export` sink: each message becomes rows of the dataset's columns, written as they come.
final class ExportSink: Stage {
    private let path: String
    private let format: TabularFormat
    private let dataset: TabularQuery.Dataset
    private let rows: LiveRows

    init(path: String, format: TabularFormat, dataset: TabularQuery.Dataset, origin: Date, origins: [String: Date] = [:]) {
        self.path = path; self.format = format; self.dataset = dataset
        rows = LiveRows(origin: origin, origins: origins)
    }

    func run(input: StageInput, output: StageOutput) async throws {
        let columns = TabularQuery(dataset: dataset).columns
        let writer = try TabularWriter(format: format, columns: columns, path: path, rowsByTrack: false)
        var row: [SQLValue] = []
        row.reserveCapacity(columns.count)
        for try await message in input {
            switch (message, dataset) {
            case (.frame(let frame), .trackPoints):
                for point in frame.tracks {
                    rows.trackPoint(point, frame: frame.info, into: &row)
                    try writer.write(row)
                }
            case (.event(let event), .events):
                rows.event(event, into: &row)
                try writer.write(row)
            case (.row(let aggregate), .aggregates):
                rows.aggregate(aggregate, into: &row)
                try writer.write(row)
            default:
                continue
            }
        }
        try writer.finish()
    }
}

/// Live messages as rows of the database's export columns (``TabularQuery/columns``).
struct LiveRows {
    let origin: Date
    /// Per source, its own time of media time 0 (the job's recorded footage), over ``origin``.
    var origins: [String: Date] = [:]

    private func time(_ media: MediaTime, _ capture: Date?, _ source: String) -> SQLValue {
        .time(capture ?? (origins[source] ?? origin).addingTimeInterval(media.seconds))
    }

    private func optional(_ value: Int?) -> SQLValue { value.map(SQLValue.int) ?? .null }
    private func optional(_ value: Double?) -> SQLValue { value.map(SQLValue.double) ?? .null }
    private func optional(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }

    func trackPoint(_ p: TrackPoint, frame: FrameInfo, into row: inout [SQLValue]) {
        row.removeAll(keepingCapacity: true)
        row += [time(frame.time, frame.captureTime, frame.sourceID), .text(frame.sourceID), .null, .int(frame.index), .double(frame.time.seconds),
                .int(p.trackID), optional(p.globalID), .int(p.classID), .text(p.label), .text(p.state.rawValue),
                .double(p.box.x), .double(p.box.y), .double(p.box.width), .double(p.box.height), .double(p.score),
                optional(p.mapX), optional(p.mapY)]
    }

    func event(_ e: Event, into row: inout [SQLValue]) {
        row.removeAll(keepingCapacity: true)
        var attributes = "{"
        for (i, key) in e.attributes.keys.sorted().enumerated() {
            if i > 0 { attributes += "," }
            JSONString.append(key, to: &attributes)
            attributes += ":"
            JSONString.append(e.attributes[key]!, to: &attributes)
        }
        attributes += "}"
        var evidence = "["
        for (i, path) in e.evidence.enumerated() {
            if i > 0 { evidence += "," }
            JSONString.append(path, to: &evidence)
        }
        evidence += "]"
        let ended = e.phase == .end
        row += [time(e.time, e.wallTime, e.sourceID), .text(e.sourceID), .null, .double(e.time.seconds), .text(e.rule), .text(e.kind),
                .text(e.severity.rawValue), optional(e.trackID), optional(e.globalID), optional(e.zone), .text(e.message),
                .text(attributes), .text(evidence), .bool(false), optional(e.alertID), optional(e.phase?.rawValue),
                ended ? time(e.time, e.wallTime, e.sourceID) : .null, ended ? .double(e.time.seconds) : .null,
                optional(e.duration), optional(e.value), optional(e.peakValue)]
    }

    func aggregate(_ r: AggregateRow, into row: inout [SQLValue]) {
        row.removeAll(keepingCapacity: true)
        var dimensions = "{"
        for (i, key) in r.dimensions.keys.sorted().enumerated() {
            if i > 0 { dimensions += "," }
            JSONString.append(key, to: &dimensions)
            dimensions += ":"
            JSONString.append(r.dimensions[key]!, to: &dimensions)
        }
        dimensions += "}"
        row += [time(r.windowStart, nil, r.sourceID), .text(r.sourceID), .null, .double(r.windowSeconds), .text(r.name), .double(r.value),
                .text(dimensions)]
    }
}
