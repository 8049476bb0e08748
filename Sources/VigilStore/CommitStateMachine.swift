/// Identifies one ordered stream of messages whose commit progress is checkpointed: a source and the
/// kind of message (`frames`, `events`, `rows`).
public struct StreamKey: Hashable, Sendable, CustomStringConvertible {
    public var source: String
    public var stream: String
    public init(source: String, stream: String) { self.source = source; self.stream = stream }
    public var description: String { "\(source)/\(stream)" }
}

/// How far a stream got: the latest media time seen, how many messages carried exactly that time (a
/// tie-break when a batch boundary falls between messages of equal time), and the message count.
public struct StreamPosition: Hashable, Sendable {
    public var lastTime: Double
    public var atLastTime: Int
    public var messages: Int

    public init(lastTime: Double = -.infinity, atLastTime: Int = 0, messages: Int = 0) {
        self.lastTime = lastTime; self.atLastTime = atLastTime; self.messages = messages
    }

    public mutating func advance(to time: Double) {
        messages += 1
        if time > lastTime { lastTime = time; atLastTime = 1 } else if time == lastTime { atLastTime += 1 }
    }
}

/// Decides, on `--resume`, which messages the earlier run already committed: per stream, every message
/// before the checkpoint time and the first `atLastTime` messages at exactly that time. Exact for
/// streams whose times never go backwards (frames always; events and rows as the stages emit them).
public struct ResumeFilter: Sendable {
    private var checkpoints: [StreamKey: StreamPosition]
    private var seenAtCheckpoint: [StreamKey: Int] = [:]

    public init(checkpoints: [StreamKey: StreamPosition]) { self.checkpoints = checkpoints }

    public var isEmpty: Bool { checkpoints.isEmpty }

    /// Whether the message was committed by the run being resumed.
    public mutating func alreadyCommitted(_ key: StreamKey, time: Double) -> Bool {
        guard let checkpoint = checkpoints[key] else { return false }
        if time < checkpoint.lastTime { return true }
        if time > checkpoint.lastTime { checkpoints[key] = nil; return false }
        let seen = seenAtCheckpoint[key, default: 0]
        if seen < checkpoint.atLastTime { seenAtCheckpoint[key] = seen + 1; return true }
        return false
    }
}

/// The exactly-once commit protocol of the `postgres` sink as a pure state machine (no I/O, no clock:
/// the caller passes `now` in seconds and performs the returned actions).
///
/// Messages are buffered into an open batch; a batch is sealed when it holds `batchRows` rows or its
/// first row is `batchAge` old, or the input ends. Sealed batches are committed one at a time, in order,
/// each in one transaction together with the stream checkpoints and the run's `last_batch = seq`. After a
/// failure the outcome of the commit may be unknown (the connection dropped around COMMIT), so the next
/// step is always `verify`: read `last_batch` and learn whether that batch is in; if not, commit it
/// again. Rows are never dropped: while commits fail, batches queue up to `maxBufferedRows`, then
/// `append` answers `.waitForSpace` and the consumer stops reading its input (backpressure).
public struct CommitStateMachine<Payload: Sendable>: Sendable {
    public struct Configuration: Sendable {
        public var batchRows: Int
        public var batchAge: Double
        public var maxBufferedRows: Int
        public var initialBackoff: Double
        public var maxBackoff: Double
        /// Give up (fail the run, with the rows still uncommitted) after retrying this long.
        public var retryFor: Double

        public init(batchRows: Int = 5000, batchAge: Double = 0.5, maxBufferedRows: Int = 200_000,
                    initialBackoff: Double = 0.1, maxBackoff: Double = 5, retryFor: Double = 600) {
            self.batchRows = max(1, batchRows); self.batchAge = batchAge
            self.maxBufferedRows = max(self.batchRows, maxBufferedRows)
            self.initialBackoff = initialBackoff; self.maxBackoff = maxBackoff; self.retryFor = retryFor
        }
    }

    /// A sealed batch, numbered in commit order.
    public struct Batch: Sendable {
        public var seq: Int
        public var payload: Payload
        public var rows: Int
        public var messages: Int
        /// Stream positions once this batch is committed (only the streams it touched).
        public var positions: [StreamKey: StreamPosition]
    }

    public enum AppendAction: Equatable, Sendable {
        case none
        /// A batch was sealed: wake the committer.
        case wakeCommitter
        /// Too many rows are waiting for the database: stop reading input until a commit succeeds.
        case waitForSpace
    }

    public enum Action: Sendable {
        /// Write this batch, its checkpoints and `last_batch = seq` in one transaction.
        case commit(Batch)
        /// Find out whether batch `seq` was committed (read the run's `last_batch`).
        case verify(seq: Int)
        /// Nothing to do before `until` (seconds), unless woken by new data.
        case sleep(until: Double)
        /// Nothing buffered: wait for data or the end of input.
        case waitForData
        /// Everything was committed and the input ended.
        case finished
        /// Retrying took longer than `retryFor`: fail with these rows uncommitted.
        case giveUp(uncommittedRows: Int)
    }

    public let configuration: Configuration
    private var makePayload: @Sendable () -> Payload

    private var open: Payload
    private var openRows = 0
    private var openMessages = 0
    private var openSince: Double?
    private var positions: [StreamKey: StreamPosition]
    private var openPositions: [StreamKey: StreamPosition] = [:]

    private var sealed: [Batch] = []
    private var nextSeq: Int
    private var inFlight = false
    private var mustVerify = false
    private var retryAt: Double?
    private var backoff: Double
    private var failingSince: Double?
    private var inputEnded = false

    /// Highest batch sequence known committed.
    public private(set) var committedSeq: Int
    public private(set) var committedRows = 0
    public private(set) var committedMessages = 0
    /// Stream positions as committed.
    public private(set) var committedPositions: [StreamKey: StreamPosition]

    /// - Parameters:
    ///   - lastCommittedSeq: the run's `last_batch` (0 for a new run).
    ///   - positions: committed positions of a resumed run.
    public init(configuration: Configuration, lastCommittedSeq: Int = 0, positions: [StreamKey: StreamPosition] = [:],
                makePayload: @escaping @Sendable () -> Payload) {
        self.configuration = configuration
        self.makePayload = makePayload
        self.open = makePayload()
        self.nextSeq = lastCommittedSeq + 1
        self.committedSeq = lastCommittedSeq
        self.positions = positions
        self.committedPositions = positions
        self.backoff = configuration.initialBackoff
    }

    /// Rows buffered and not yet committed (open, sealed and in flight).
    public var bufferedRows: Int { openRows + sealed.reduce(0) { $0 + $1.rows } }

    /// Adds one message's rows to the open batch; `fill` writes them into the payload.
    public mutating func append(_ key: StreamKey, time: Double, rows: Int, now: Double,
                                fill: (inout Payload) -> Void) -> AppendAction {
        fill(&open)
        openRows += rows
        openMessages += 1
        if openSince == nil { openSince = now }
        positions[key, default: StreamPosition()].advance(to: time)
        openPositions[key] = positions[key]
        if openRows >= configuration.batchRows {
            seal()
            return bufferedRows >= configuration.maxBufferedRows ? .waitForSpace : .wakeCommitter
        }
        return bufferedRows >= configuration.maxBufferedRows ? .waitForSpace : .none
    }

    /// Whether any message waits to be committed.
    public var hasPendingMessages: Bool { openMessages > 0 || !sealed.isEmpty }

    /// Whether the consumer may read more input (after `.waitForSpace`).
    public var hasSpace: Bool { bufferedRows < configuration.maxBufferedRows }

    /// The input ended: whatever is open is sealed and committed, then `finished`.
    public mutating func finishInput() {
        inputEnded = true
        if openMessages > 0 { seal() }
    }

    /// What the committer should do now.
    public mutating func nextAction(now: Double) -> Action {
        guard !inFlight else { return .sleep(until: now + configuration.batchAge) }
        if let since = failingSince, now - since > configuration.retryFor {
            return .giveUp(uncommittedRows: bufferedRows)
        }
        if let retryAt, now < retryAt { return .sleep(until: retryAt) }
        if mustVerify, let first = sealed.first {
            inFlight = true
            return .verify(seq: first.seq)
        }
        if sealed.isEmpty, openMessages > 0, let since = openSince {
            if now - since >= configuration.batchAge { seal() } else { return .sleep(until: since + configuration.batchAge) }
        }
        if let first = sealed.first {
            inFlight = true
            return .commit(first)
        }
        return inputEnded ? .finished : .waitForData
    }

    /// The transaction of batch `seq` committed.
    public mutating func commitSucceeded(seq: Int) {
        guard let first = sealed.first, first.seq == seq else { return }
        sealed.removeFirst()
        committedSeq = seq
        committedRows += first.rows
        committedMessages += first.messages
        committedPositions.merge(first.positions) { _, new in new }
        inFlight = false
        mustVerify = false
        retryAt = nil
        failingSince = nil
        backoff = configuration.initialBackoff
    }

    public enum FailureAction: Equatable, Sendable {
        /// Reconnect and `verify` once the backoff has passed (see `nextAction`).
        case retry(after: Double)
        /// Not a connection problem: retrying would fail the same way.
        case fail
    }

    /// A commit or verification of batch `seq` failed. Transient failures are retried with exponential
    /// backoff; the batch stays queued.
    public mutating func commitFailed(seq: Int, transient: Bool, now: Double) -> FailureAction {
        inFlight = false
        guard transient else { return .fail }
        mustVerify = true
        if failingSince == nil { failingSince = now }
        let delay = backoff
        backoff = min(configuration.maxBackoff, backoff * 2)
        retryAt = now + delay
        return .retry(after: delay)
    }

    /// The answer to `verify(seq:)`: the database's `last_batch` for the run.
    public mutating func verified(seq: Int, lastCommittedBatch: Int) {
        inFlight = false
        mustVerify = false
        if lastCommittedBatch >= seq {
            inFlight = true   // commitSucceeded expects the batch in flight
            commitSucceeded(seq: seq)
        }
    }

    private mutating func seal() {
        guard openMessages > 0 else { return }
        sealed.append(Batch(seq: nextSeq, payload: open, rows: openRows, messages: openMessages, positions: openPositions))
        nextSeq += 1
        open = makePayload()
        openRows = 0
        openMessages = 0
        openSince = nil
        openPositions = [:]
    }
}
