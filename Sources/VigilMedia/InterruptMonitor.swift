internal import CFFmpeg
import Synchronization
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// Decides, from inside FFmpeg's blocking reads, whether to give up: when no packet arrived for the
/// read timeout (a stalled stream), or when the source is asked to stop. FFmpeg polls it through an
/// `AVIOInterruptCB`; the reading thread arms it before each blocking call.
final class InterruptMonitor: Sendable {
    enum Reason: Int, Sendable { case none = 0, timeout = 1, stop = 2 }

    private let deadline = Atomic<Int64>(.max)
    private let stopped = Atomic<Bool>(false)
    private let fired = Atomic<Int>(Reason.none.rawValue)
    let timeout: Double
    private let shutdown: ShutdownSignal?

    init(timeout: Double, shutdown: ShutdownSignal?) {
        self.timeout = timeout
        self.shutdown = shutdown
    }

    /// Starts a new waiting period: the next `timeout` (plus `extra`) seconds may pass without data.
    func arm(extra: Double = 0) {
        fired.store(Reason.none.rawValue, ordering: .relaxed)
        deadline.store(Self.nowNanoseconds() + Int64((timeout + extra) * 1e9), ordering: .relaxed)
    }

    /// No timeout (between reads, while the consumer holds the frame).
    func disarm() { deadline.store(.max, ordering: .relaxed) }

    /// Interrupts every blocking call from now on.
    func stop() { stopped.store(true, ordering: .releasing) }

    var isStopped: Bool { stopped.load(ordering: .acquiring) || (shutdown?.isRequested ?? false) }

    /// Why the last interrupted call was interrupted.
    var reason: Reason { Reason(rawValue: fired.load(ordering: .relaxed)) ?? .none }

    /// Called by FFmpeg; non-zero aborts the blocking call with `AVERROR_EXIT`.
    func shouldInterrupt() -> Bool {
        if isStopped {
            fired.store(Reason.stop.rawValue, ordering: .relaxed)
            return true
        }
        if Self.nowNanoseconds() > deadline.load(ordering: .relaxed) {
            fired.store(Reason.timeout.rawValue, ordering: .relaxed)
            return true
        }
        return false
    }

    static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// The C callback; `opaque` is an unretained reference to the monitor, kept alive by the demuxer.
    static let callback: vigil_interrupt_fn = { opaque in
        guard let opaque else { return 0 }
        return Unmanaged<InterruptMonitor>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt() ? 1 : 0
    }
}
