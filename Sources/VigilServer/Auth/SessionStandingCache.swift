import Foundation
import Synchronization

/// Remembers for a moment what the database said about a (user, session) pair, so that a burst of requests
/// with one token costs one lookup. Changes made by this process (logout, deactivation, role change,
/// password change) forget the entries at once; changes made by another server process take effect
/// within `lifetime`.
final class SessionStandingCache: Sendable {
    private struct Entry { var standing: SessionRepository.Standing; var until: ContinuousClock.Instant }
    private let entries = Mutex<[UUID: Entry]>([:])
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration = .seconds(2), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func get(session: UUID, now: ContinuousClock.Instant = .now) -> SessionRepository.Standing? {
        entries.withLock { e in
            guard let entry = e[session], entry.until > now else { return nil }
            return entry.standing
        }
    }

    func put(_ standing: SessionRepository.Standing, session: UUID, now: ContinuousClock.Instant = .now) {
        entries.withLock { e in
            if e.count >= capacity { e = e.filter { $0.value.until > now } }
            if e.count >= capacity { e.removeAll(keepingCapacity: true) }
            e[session] = Entry(standing: standing, until: now + lifetime)
        }
    }

    func forget(session: UUID) { _ = entries.withLock { $0.removeValue(forKey: session) } }

    /// Forgets every session of a user (the cache is keyed by session; the user's are found by scanning).
    func forget(username: String) {
        entries.withLock { e in e = e.filter { $0.value.standing.username != username } }
    }
}
