public import VigilCore

/// The lifecycle of one track as a pure state machine (no I/O, no clock): the tracker feeds it what
/// happened on each detector frame and acts on the transition it returns.
///
/// tentative --(min_hits matches)--> confirmed --(miss)--> lost --(match)--> confirmed (re-activated)
/// tentative --(miss)--> removed;  lost --(unmatched for more than max_age)--> removed.
public struct TrackLifecycle: Sendable, Hashable, Codable {
    public enum Transition: Sendable, Hashable {
        case confirmed
        case lost
        case reactivated
        case removed
    }

    public private(set) var state: TrackState
    /// Matches so far, the creating detection included.
    public private(set) var hits: Int
    public let createdAt: Double
    public private(set) var lastMatchedAt: Double
    public let minHits: Int

    public init(createdAt time: Double, minHits: Int) {
        self.minHits = max(1, minHits)
        createdAt = time
        lastMatchedAt = time
        hits = 1
        state = self.minHits <= 1 ? .confirmed : .tentative
    }

    /// A detection was associated with the track at `time`.
    @discardableResult
    public mutating func matched(at time: Double) -> Transition? {
        lastMatchedAt = max(lastMatchedAt, time)
        hits += 1
        switch state {
        case .tentative:
            if hits >= minHits { state = .confirmed; return .confirmed }
            return nil
        case .lost:
            state = .confirmed
            return .reactivated
        case .confirmed, .removed:
            return nil
        }
    }

    /// The detector ran at `time` and nothing was associated with the track.
    @discardableResult
    public mutating func missed(at time: Double, maxAge: Double) -> Transition? {
        switch state {
        case .tentative:
            state = .removed
            return .removed
        case .confirmed:
            state = .lost
            if time - lastMatchedAt > maxAge { state = .removed; return .removed }
            return .lost
        case .lost:
            return expire(at: time, maxAge: maxAge)
        case .removed:
            return nil
        }
    }

    /// Time passed (with or without a detector run): lost tracks older than `maxAge` are removed.
    @discardableResult
    public mutating func expire(at time: Double, maxAge: Double) -> Transition? {
        guard state == .lost, time - lastMatchedAt > maxAge else { return nil }
        state = .removed
        return .removed
    }

    /// Seconds since the last association.
    public func timeSinceUpdate(at time: Double) -> Double { time - lastMatchedAt }
}
