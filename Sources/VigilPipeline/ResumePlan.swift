public import VigilCore

/// What one component brings to the start of a run: how it takes part in a resume and, for a result
/// sink that continues earlier runs, the marks it can continue from.
struct ResumeVote: Sendable {
    var id: String
    var support: ResumeSupport
    var offers: [ResumePoint] = []
}

/// The runtime's decision, made once every component is built and before any runs: whether a resumed
/// batch run seeks to a checkpoint mark (and which), and whether stages write state snapshots.
public struct ResumePlan: Sendable, Equatable {
    /// Where the sources start and what the stages restore; `nil` when the run starts from the beginning.
    public var point: ResumePoint?
    /// Why a resume replays the inputs instead of seeking; `nil` when it seeks or nothing is resumed.
    public var replayReason: String?
    /// Media seconds between state snapshots; `nil` when no stage writes any (no stage keeps state, no
    /// result sink could continue from them, or a stream run, which never resumes).
    public var snapshotInterval: Double?

    public static let none = ResumePlan()

    /// - Parameters:
    ///   - resuming: the run continues an earlier one (`--resume`, a rescued job).
    ///   - interval: the snapshot interval for batch runs, `nil` in stream mode.
    static func decide(_ votes: [ResumeVote], resuming: Bool, interval: Double?) -> ResumePlan {
        let sinks = votes.filter { $0.support == .continues }
        let stateful = votes.filter { $0.support == .snapshots }.map(\.id)
        let replaying = votes.filter { $0.support == .replay }.map(\.id)
        var plan = ResumePlan()
        if let interval, !sinks.isEmpty, !stateful.isEmpty, replaying.isEmpty { plan.snapshotInterval = interval }
        guard resuming, !sinks.isEmpty else { return plan }
        guard replaying.isEmpty else {
            plan.replayReason = "\(replaying.sorted().joined(separator: ", ")) must see the inputs from the start "
                + "(state that cannot be written down, or a file rewritten whole)"
            return plan
        }
        // A mark every continuing sink offers, holding the state of every stage that keeps some.
        var candidates = Set(sinks[0].offers.map(\.mark))
        for sink in sinks.dropFirst() { candidates.formIntersection(sink.offers.map(\.mark)) }
        for mark in candidates.sorted(by: >) {
            var states: [String: [UInt8]] = [:]
            for sink in sinks {
                guard let point = sink.offers.first(where: { $0.mark == mark }) else { continue }
                states.merge(point.states) { kept, _ in kept }
            }
            if stateful.allSatisfy({ states[$0] != nil }) {
                plan.point = ResumePoint(mark: mark, states: states.filter { stateful.contains($0.key) })
                return plan
            }
        }
        plan.replayReason = sinks.contains(where: { $0.offers.isEmpty })
            ? "the earlier run committed no checkpoint mark yet"
            : "no committed checkpoint mark holds the state of every stage"
        return plan
    }

    /// What `resume(at:)` gives the component `id` with support `support`; `nil` when it gets nothing.
    func point(for id: String, support: ResumeSupport) -> ResumePoint? {
        guard let point else { return nil }
        switch support {
        case .seeks: return ResumePoint(mark: point.mark)
        case .snapshots: return ResumePoint(mark: point.mark, states: point.states.filter { $0.key == id })
        case .replay, .stateless, .continues: return nil
        }
    }
}
