import Testing
import VigilCore
@testable import VigilPipeline

/// The runtime's resume decision: seek to a committed checkpoint mark only when every component can, else
/// replay the inputs from the start (and say why).
@Suite("Resume plan")
struct ResumePlanTests {
    static let source = ResumeVote(id: "plaza", support: .seeks)
    static let detector = ResumeVote(id: "people", support: .stateless)
    static let tracker = ResumeVote(id: "tracks", support: .snapshots)
    static let identities = ResumeVote(id: "identities", support: .snapshots)

    static func sink(_ id: String, _ marks: [(Double, [String])]) -> ResumeVote {
        ResumeVote(id: id, support: .continues, offers: marks.map { mark, stages in
            ResumePoint(mark: mark, states: Dictionary(uniqueKeysWithValues: stages.map { ($0, Array($0.utf8) + [UInt8(mark)]) }))
        })
    }

    @Test func seeksToTheLatestMarkEveryStageHasAStateFor() {
        let votes = [Self.source, Self.detector, Self.tracker, Self.identities,
                     Self.sink("db", [(50, ["tracks"]), (40, ["tracks", "identities"]), (30, ["tracks", "identities"])])]
        let plan = ResumePlan.decide(votes, resuming: true, interval: 10)
        #expect(plan.point?.mark == 40)
        #expect(plan.replayReason == nil)
        #expect(plan.snapshotInterval == 10)
        #expect(plan.point(for: "plaza", support: .seeks) == ResumePoint(mark: 40))
        #expect(plan.point(for: "tracks", support: .snapshots)?.states == ["tracks": Array("tracks".utf8) + [40]])
        #expect(plan.point(for: "people", support: .stateless) == nil)
        #expect(plan.point(for: "db", support: .continues) == nil)
    }

    @Test func twoSinksSeekToAMarkBothCommitted() {
        let votes = [Self.source, Self.tracker,
                     Self.sink("db", [(50, ["tracks"]), (40, ["tracks"])]),
                     Self.sink("archive", [(40, ["tracks"]), (30, ["tracks"])])]
        #expect(ResumePlan.decide(votes, resuming: true, interval: 10).point?.mark == 40)
    }

    @Test func aStageThatMustSeeEverythingMakesTheResumeReplay() {
        let motion = ResumeVote(id: "moving", support: .replay)
        let plan = ResumePlan.decide([Self.source, motion, Self.tracker, Self.sink("db", [(40, ["tracks"])])],
                                     resuming: true, interval: 10)
        #expect(plan.point == nil)
        #expect(plan.replayReason?.contains("moving") == true)
        #expect(plan.snapshotInterval == nil, "no snapshots are written when a resume would replay anyway")
    }

    @Test func noCommittedMarkReplays() {
        let plan = ResumePlan.decide([Self.source, Self.tracker, Self.sink("db", [])], resuming: true, interval: 10)
        #expect(plan.point == nil && plan.replayReason != nil)
        #expect(plan.snapshotInterval == 10)
        let partial = ResumePlan.decide([Self.source, Self.tracker, Self.identities, Self.sink("db", [(40, ["tracks"])])],
                                        resuming: true, interval: 10)
        #expect(partial.point == nil && partial.replayReason?.contains("every stage") == true)
    }

    @Test func aFreshRunOnlyDecidesAboutSnapshots() {
        let votes = [Self.source, Self.tracker, Self.sink("db", [])]
        #expect(ResumePlan.decide(votes, resuming: false, interval: 10) == ResumePlan(snapshotInterval: 10))
        #expect(ResumePlan.decide(votes, resuming: false, interval: nil) == ResumePlan.none, "stream runs never resume")
        #expect(ResumePlan.decide([Self.source, Self.detector, Self.sink("db", [])], resuming: false, interval: 10) == .none,
                "nothing keeps state: nothing to write down")
    }
}
