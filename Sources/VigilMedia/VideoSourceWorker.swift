import Foundation
import Logging
import Metrics
import VigilCore

/// The decoding loop of one `video` source, run on its own thread: connects through the reconnect
/// state machine, reads frames, keeps the sampled ones, converts them into pooled images and hands
/// them to the source's task.
final class VideoSourceWorker {
    private let plan: VideoSourcePlan
    private let monitor: InterruptMonitor
    private let handoff: FrameHandoff<Message>
    private let pool = FramePool(maxIdle: 16)
    private var machine: ReconnectStateMachine
    private var clock = SourceClock()
    private var sampler: FrameSampler
    private var lastError: (any Error)?
    /// Frames decoded in earlier sessions (connections, loops), so indices keep growing.
    private var indexOffset = 0
    private var nextIndex = 0
    private var pace: (wall: Double, media: Double)?
    private var dropped = 0
    private var corrupt = 0
    private var pendingHandover: Handover?
    private let metrics: SourceMetrics

    init(plan: VideoSourcePlan, monitor: InterruptMonitor, handoff: FrameHandoff<Message>) {
        self.plan = plan
        self.monitor = monitor
        self.handoff = handoff
        machine = ReconnectStateMachine(mode: plan.mode, policy: plan.policy)
        sampler = FrameSampler(fps: plan.fps)
        metrics = SourceMetrics(sourceID: plan.sourceID)
        pendingHandover = plan.handover
    }

    func run() throws {
        defer { summarize() }
        var action = machine.start(now: now())
        while true {
            if monitor.isStopped || handoff.isClosed { return }
            switch action {
            case .connect:
                let reader: VideoReader
                do {
                    reader = try VideoReader(url: plan.url, options: plan.readerOptions, monitor: monitor)
                } catch {
                    if monitor.isStopped { return }
                    lastError = error
                    action = machine.connectFailed(now: now())
                    if case .wait(let seconds) = action {
                        plan.logger.info("cannot connect; retrying in \(String(format: "%.1f", seconds)) s",
                                            metadata: ["source.url": "\(plan.url)", "error": "\(error)"])
                    }
                    continue
                }
                _ = machine.connectSucceeded(now: now())
                if plan.mode == .once, let expected = expectedFrames(reader) {
                    plan.progress.expectFrames(expected, source: plan.sourceID)
                }
                action = stream(reader)
            case .wait(let seconds):
                sleep(seconds)
                action = machine.waitElapsed(now: now())
            case .fail:
                throw lastError ?? VigilError(.streamLost, "the source failed", subject: plan.url)
            case .finish, .none, .reportGap:
                return
            }
        }
    }

    /// Reads one connection (or one pass of a file) to its end; returns the machine's next action.
    private func stream(_ reader: VideoReader) -> ReconnectStateMachine.Action {
        var firstFrame = true
        let frameDuration = reader.frameRate.map { 1 / $0 } ?? 0.04
        indexOffset = nextIndex
        defer {
            corrupt += reader.corruptPacketCount
            metrics.corrupt.increment(by: reader.corruptPacketCount)
            metrics.damaged.increment(by: reader.damagedFrameCount)
        }
        while true {
            let decoded: VideoReader.DecodedFrame?
            do {
                decoded = try reader.next()
            } catch let error as VigilError where error.code == .mediaTruncated && plan.onTruncated == .complete {
                // A recording cut short (a power loss): what came before is the whole recording.
                plan.progress.truncated(Truncation(source: plan.sourceID, url: plan.url, frames: reader.decodedFrameCount,
                                                   declaredFrames: reader.declaredFrameCount))
                plan.logger.info("the file is truncated; processed up to its end", metadata: [
                    "source.url": "\(plan.url)", "frames.decoded": "\(reader.decodedFrameCount)", "error": "\(error.message)"])
                return machine.streamEnded(now: now())
            } catch {
                if monitor.isStopped { return .finish }
                lastError = error
                let action = machine.streamFailed(now: now())
                if case .wait = action { plan.logger.info("stream lost: \(error)", metadata: ["source.url": "\(plan.url)"]) }
                return action
            }
            guard let decoded else {
                if reader.wasStopped || monitor.isStopped { return .finish }
                if plan.mode == .live { plan.logger.info("stream ended; reconnecting", metadata: ["source.url": "\(plan.url)"]) }
                return machine.streamEnded(now: now())
            }
            let wall = now()
            var gap: Double?
            if case .reportGap(let seconds, _) = machine.frameReceived(now: wall) { gap = seconds }
            if firstFrame {
                clock.beginSession(gap: gap ?? 0, frameDuration: frameDuration)
                firstFrame = false
            }
            let time = clock.time(sessionTime: decoded.time)
            nextIndex = indexOffset + decoded.index + 1
            metrics.decoded.increment()
            if let gap {
                metrics.reconnects.increment()
                metrics.gapSeconds.record(gap)
                if !send(.event(gapEvent(time: time, seconds: gap))) { return .finish }
            }
            if let handover = pendingHandover {
                pendingHandover = nil
                if !send(.event(handoverEvent(time: time, handover, seconds: max(0, Date().timeIntervalSince(handover.since))))) {
                    return .finish
                }
            }
            guard sampler.shouldKeep(time: time) else { continue }
            if plan.paced { waitUntil(mediaTime: time) }
            if monitor.isStopped { return .finish }
            let image: FrameImage?
            do {
                image = try plan.requirement.map { try reader.makeImage($0, pool: pool) }
            } catch {
                lastError = error
                return machine.streamFailed(now: now())
            }
            let info = FrameInfo(sourceID: plan.sourceID, index: indexOffset + decoded.index, time: MediaTime(seconds: time),
                                 captureTime: plan.live ? Date() : nil,
                                 sourceWidth: reader.frameWidth, sourceHeight: reader.frameHeight)
            if !send(.frame(AnnotatedFrame(info: info, image: image))) { return .finish }
        }
    }

    /// Frames a file will yield after the time window and `fps` sampling, estimated from its header.
    private func expectedFrames(_ reader: VideoReader) -> Int? {
        guard let total = reader.declaredFrameCount ?? reader.duration.flatMap({ d in reader.frameRate.map { Int(d * $0) } }),
              total > 0, let rate = reader.frameRate, rate > 0 else { return nil }
        let length = Double(total) / rate
        let start = min(max(0, plan.readerOptions.start ?? 0), length)
        let end = min(max(start, plan.readerOptions.end ?? length), length)
        let kept = (end - start) * min(rate, plan.fps ?? rate)
        return max(1, Int(kept.rounded()))
    }

    /// `false` when the consumer is gone.
    private func send(_ message: Message) -> Bool {
        switch handoff.push(message, shouldStop: { monitor.isStopped }) {
        case .sent:
            if case .frame = message { metrics.emitted.increment() }
            return true
        case .dropped:
            dropped += 1
            plan.countDropped(1)
            return true
        case .closed: return false
        }
    }

    /// The time no worker held the camera, reported once, at the first frame after a takeover.
    private func handoverEvent(time: Double, _ handover: Handover, seconds: Double) -> Event {
        let text = String(format: "%.3f", seconds)
        var attributes = ["gap_seconds": text, "url": plan.url, "cause": "handover",
                          "since": handover.since.timeIntervalSince1970.description]
        if let from = handover.from { attributes["previous_worker"] = from }
        return Event(time: MediaTime(seconds: time), wallTime: Date(), sourceID: plan.sourceID, rule: plan.sourceID,
                     kind: "stream_gap", severity: .warning,
                     message: "no worker held the camera for \(text) s" + (handover.from.map { " (taken over from \($0))" } ?? ""),
                     attributes: attributes)
    }

    private func gapEvent(time: Double, seconds: Double) -> Event {
        let text = String(format: "%.3f", seconds)
        return Event(time: MediaTime(seconds: time), wallTime: Date(), sourceID: plan.sourceID, rule: plan.sourceID,
                     kind: "stream_gap", severity: .warning,
                     message: "no frames for \(text) s; the stream reconnected",
                     attributes: ["gap_seconds": text, "reconnects": "\(machine.reconnects)", "url": plan.url])
    }

    /// Paces a looped file at its own frame rate.
    private func waitUntil(mediaTime: Double) {
        let wall = now()
        guard let anchor = pace, wall - (anchor.wall + mediaTime - anchor.media) < 1 else {
            pace = (wall, mediaTime)   // first frame, or fell behind by more than a second: re-anchor
            return
        }
        let target = anchor.wall + (mediaTime - anchor.media)
        if target > wall { sleep(target - wall) }
    }

    /// Sleeps up to `seconds`, waking early when asked to stop.
    private func sleep(_ seconds: Double) {
        let until = now() + seconds
        while !monitor.isStopped && !handoff.isClosed {
            let left = until - now()
            if left <= 0 { return }
            Thread.sleep(forTimeInterval: min(left, 0.05))
        }
    }

    private func now() -> Double { Double(InterruptMonitor.nowNanoseconds()) / 1e9 }

    private func summarize() {
        var metadata: Logger.Metadata = ["source.url": "\(plan.url)", "frames.decoded": "\(nextIndex)"]
        if corrupt > 0 { metadata["packets.corrupt"] = "\(corrupt)" }
        if dropped > 0 { metadata["frames.dropped"] = "\(dropped)" }
        if machine.reconnects > 0 { metadata["reconnects"] = "\(machine.reconnects)" }
        plan.logger.info("video source finished", metadata: metadata)
    }
}

/// The counters a `video` source reports through swift-metrics, labelled by source id.
struct SourceMetrics {
    let decoded: Counter
    let emitted: Counter
    let corrupt: Counter
    let damaged: Counter
    let reconnects: Counter
    let gapSeconds: Recorder

    init(sourceID: String) {
        let dimensions = [("source", sourceID)]
        decoded = Counter(label: "vigil_source_frames_decoded_total", dimensions: dimensions)
        emitted = Counter(label: "vigil_source_frames_emitted_total", dimensions: dimensions)
        corrupt = Counter(label: "vigil_source_packets_corrupt_total", dimensions: dimensions)
        damaged = Counter(label: "vigil_source_frames_damaged_total", dimensions: dimensions)
        reconnects = Counter(label: "vigil_source_reconnects_total", dimensions: dimensions)
        gapSeconds = Recorder(label: "vigil_source_gap_seconds", dimensions: dimensions)
    }
}
