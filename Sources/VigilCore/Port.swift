/// The kind of data an edge of the pipeline graph carries. Edges are checked before anything runs:
/// a stage that reads `frames` cannot take its input from a stage that writes `events`.
public enum PortType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// ``AnnotatedFrame``s: video frames with detections and tracks.
    case frames
    /// ``Event``s: alerts, stream gaps, rule hits.
    case events
    /// ``AggregateRow``s: windowed aggregates.
    case rows

    public var description: String { rawValue }
}

/// One item on an edge.
public enum Message: Sendable {
    case frame(AnnotatedFrame)
    case event(Event)
    case row(AggregateRow)

    public var port: PortType {
        switch self {
        case .frame: .frames
        case .event: .events
        case .row: .rows
        }
    }

    /// The media time the message belongs to, used to merge several inputs in time order.
    public var time: MediaTime {
        switch self {
        case .frame(let f): f.info.time
        case .event(let e): e.time
        case .row(let r): r.windowStart
        }
    }

    public var sourceID: String {
        switch self {
        case .frame(let f): f.info.sourceID
        case .event(let e): e.sourceID
        case .row(let r): r.sourceID
        }
    }
}
