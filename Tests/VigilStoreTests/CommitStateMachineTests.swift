import Testing
import VigilStore

/// The exactly-once protocol without I/O: payloads are arrays of row numbers.
@Suite("Commit state machine") struct CommitStateMachineTests {
    typealias Machine = CommitStateMachine<[Int]>
    let key = StreamKey(source: "cam1", stream: "frames")

    func machine(batchRows: Int = 3, maxBuffered: Int = 9, retryFor: Double = 100, lastSeq: Int = 0) -> Machine {
        Machine(configuration: .init(batchRows: batchRows, batchAge: 1, maxBufferedRows: maxBuffered, initialBackoff: 0.1,
                                     maxBackoff: 1, retryFor: retryFor), lastCommittedSeq: lastSeq) { [] }
    }

    func append(_ m: inout Machine, _ value: Int, time: Double? = nil, now: Double = 0) -> Machine.AppendAction {
        m.append(key, time: time ?? Double(value), rows: 1, now: now) { $0.append(value) }
    }

    @Test func sealsByRowCountAndCommitsInOrder() {
        var m = machine()
        #expect(append(&m, 1) == .none)
        #expect(append(&m, 2) == .none)
        #expect(append(&m, 3) == .wakeCommitter)
        guard case .commit(let batch) = m.nextAction(now: 0) else { Issue.record("expected commit"); return }
        #expect(batch.seq == 1 && batch.payload == [1, 2, 3] && batch.rows == 3)
        #expect(batch.positions[key] == StreamPosition(lastTime: 3, atLastTime: 1, messages: 3))
        // While in flight nothing else is handed out.
        guard case .sleep = m.nextAction(now: 0) else { Issue.record("expected sleep while in flight"); return }
        m.commitSucceeded(seq: 1)
        #expect(m.committedSeq == 1 && m.committedRows == 3)
        #expect(m.committedPositions[key]?.messages == 3)
        guard case .waitForData = m.nextAction(now: 0) else { Issue.record("expected waitForData"); return }
    }

    @Test func sealsByAgeAndAtEndOfInput() {
        var m = machine(batchRows: 100)
        _ = append(&m, 1, now: 10)
        guard case .sleep(let until) = m.nextAction(now: 10.5) else { Issue.record("expected sleep"); return }
        #expect(until == 11)
        guard case .commit(let aged) = m.nextAction(now: 11) else { Issue.record("expected commit by age"); return }
        #expect(aged.payload == [1])
        m.commitSucceeded(seq: aged.seq)
        _ = append(&m, 2, now: 12)
        m.finishInput()
        guard case .commit(let last) = m.nextAction(now: 12) else { Issue.record("expected final commit"); return }
        #expect(last.payload == [2] && last.seq == 2)
        m.commitSucceeded(seq: 2)
        guard case .finished = m.nextAction(now: 12) else { Issue.record("expected finished"); return }
    }

    @Test func lostConnectionAfterCommitIsVerifiedNotRepeated() {
        var m = machine()
        for v in 1...3 { _ = append(&m, v) }
        guard case .commit(let batch) = m.nextAction(now: 0) else { Issue.record("expected commit"); return }
        // The connection dropped while COMMIT was on the wire: outcome unknown.
        #expect(m.commitFailed(seq: batch.seq, transient: true, now: 0) == .retry(after: 0.1))
        guard case .sleep(let until) = m.nextAction(now: 0.05) else { Issue.record("expected backoff"); return }
        #expect(until == 0.1)
        guard case .verify(let seq) = m.nextAction(now: 0.1) else { Issue.record("expected verify"); return }
        #expect(seq == 1)
        m.verified(seq: 1, lastCommittedBatch: 1)   // it did commit
        #expect(m.committedSeq == 1 && m.bufferedRows == 0)
        guard case .waitForData = m.nextAction(now: 0.2) else { Issue.record("the batch must not be committed twice"); return }
    }

    @Test func lostConnectionBeforeCommitRetriesSameBatch() {
        var m = machine()
        for v in 1...3 { _ = append(&m, v) }
        guard case .commit(let first) = m.nextAction(now: 0) else { Issue.record("expected commit"); return }
        _ = m.commitFailed(seq: first.seq, transient: true, now: 0)
        guard case .verify = m.nextAction(now: 0.1) else { Issue.record("expected verify"); return }
        // Still down: the verification fails too, and the backoff doubles.
        #expect(m.commitFailed(seq: first.seq, transient: true, now: 0.1) == .retry(after: 0.2))
        guard case .sleep = m.nextAction(now: 0.2) else { Issue.record("expected backoff"); return }
        guard case .verify = m.nextAction(now: 0.31) else { Issue.record("expected verify"); return }
        m.verified(seq: 1, lastCommittedBatch: 0)   // not committed
        guard case .commit(let again) = m.nextAction(now: 0.31) else { Issue.record("expected the same batch again"); return }
        #expect(again.seq == 1 && again.payload == [1, 2, 3])
        m.commitSucceeded(seq: 1)
        #expect(m.committedRows == 3)
    }

    @Test func keepsRowsWhileFailingThenAppliesBackpressure() {
        var m = machine(batchRows: 3, maxBuffered: 9)
        for v in 1...3 { _ = append(&m, v) }
        guard case .commit(let b) = m.nextAction(now: 0) else { Issue.record("expected commit"); return }
        _ = m.commitFailed(seq: b.seq, transient: true, now: 0)
        var actions: [Machine.AppendAction] = []
        for v in 4...9 { actions.append(append(&m, v)) }
        #expect(actions.last == .waitForSpace)
        #expect(!m.hasSpace && m.bufferedRows == 9)
        // Recovery: verify says not committed, commit batches 1...3 in order, space returns.
        guard case .verify = m.nextAction(now: 1) else { Issue.record("expected verify"); return }
        m.verified(seq: 1, lastCommittedBatch: 0)
        var committed: [Int] = []
        while case .commit(let batch) = m.nextAction(now: 1) {
            committed += batch.payload
            m.commitSucceeded(seq: batch.seq)
        }
        #expect(committed == Array(1...9))
        #expect(m.hasSpace)
    }

    @Test func fatalErrorsAndTimeoutsGiveUp() {
        var m = machine(retryFor: 5)
        for v in 1...3 { _ = append(&m, v) }
        guard case .commit(let b) = m.nextAction(now: 0) else { Issue.record("expected commit"); return }
        #expect(m.commitFailed(seq: b.seq, transient: false, now: 0) == .fail)
        var n = machine(retryFor: 5)
        for v in 1...3 { _ = append(&n, v) }
        guard case .commit(let c) = n.nextAction(now: 0) else { Issue.record("expected commit"); return }
        _ = n.commitFailed(seq: c.seq, transient: true, now: 0)
        guard case .giveUp(let rows) = n.nextAction(now: 6) else { Issue.record("expected give up"); return }
        #expect(rows == 3)
    }

    @Test func resumedRunNumbersBatchesAfterCheckpoint() {
        var m = machine(lastSeq: 41)
        for v in 1...3 { _ = append(&m, v) }
        guard case .commit(let b) = m.nextAction(now: 0) else { Issue.record("expected commit"); return }
        #expect(b.seq == 42)
    }

    @Test func resumeFilterSkipsCommittedIncludingTies() {
        var filter = ResumeFilter(checkpoints: [key: StreamPosition(lastTime: 2, atLastTime: 2, messages: 5)])
        let times: [Double] = [0, 1, 1, 2, 2, 2, 3]
        let skipped = times.map { filter.alreadyCommitted(key, time: $0) }
        #expect(skipped == [true, true, true, true, true, false, false])
        let other = filter.alreadyCommitted(StreamKey(source: "cam2", stream: "frames"), time: 0)
        #expect(!other)
    }
}
