import Foundation
public import CoreMetrics
import Synchronization

/// An in-process swift-metrics backend: the runtime's per-stage counters and latency timers land
/// here, for the end-of-run summary and `--metrics-json`.
public final class PipelineMetrics: MetricsFactory, Sendable {
    struct Key: Hashable, Sendable {
        var label: String
        var dimensions: [String]
        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions.map { "\($0.0)=\($0.1)" }.sorted()
        }
    }

    final class CounterBox: CounterHandler, FloatingPointCounterHandler, Sendable {
        let value = Mutex<Double>(0)
        func increment(by amount: Int64) { value.withLock { $0 += Double(amount) } }
        func increment(by amount: Double) { value.withLock { $0 += amount } }
        func reset() { value.withLock { $0 = 0 } }
    }

    /// Keeps count, sum, min, max and a bounded reservoir of samples for percentiles.
    final class DistributionBox: TimerHandler, RecorderHandler, MeterHandler, Sendable {
        struct Stats {
            var count = 0
            var sum = 0.0
            var minimum = Double.infinity
            var maximum = -Double.infinity
            var samples: [Double] = []
            var last = 0.0
        }
        static let reservoir = 4096
        let stats = Mutex(Stats())
        let scale: Double
        init(scale: Double) { self.scale = scale }

        func add(_ raw: Double) {
            let v = raw * scale
            stats.withLock { s in
                s.count += 1; s.sum += v; s.last = v
                s.minimum = min(s.minimum, v); s.maximum = max(s.maximum, v)
                if s.samples.count < Self.reservoir {
                    s.samples.append(v)
                } else {
                    // Deterministic reservoir replacement keeps memory bounded on long runs.
                    s.samples[s.count % Self.reservoir] = v
                }
            }
        }
        func recordNanoseconds(_ duration: Int64) { add(Double(duration)) }
        func record(_ value: Int64) { add(Double(value)) }
        func record(_ value: Double) { add(value) }
        func set(_ value: Int64) { add(Double(value)) }
        func set(_ value: Double) { add(value) }
        func increment(by amount: Double) { add(amount) }
        func decrement(by amount: Double) { add(-amount) }
    }

    private let counters = Mutex<[Key: CounterBox]>([:])
    private let distributions = Mutex<[Key: DistributionBox]>([:])

    public init() {}

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        counter(Key(label, dimensions))
    }
    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        counter(Key(label, dimensions))
    }
    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        distribution(Key(label, dimensions), scale: 1)
    }
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        distribution(Key(label, dimensions), scale: 1)
    }
    /// Timers are kept in seconds.
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        distribution(Key(label, dimensions), scale: 1e-9)
    }
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

    private func counter(_ key: Key) -> CounterBox {
        counters.withLock { table in
            if let box = table[key] { return box }
            let box = CounterBox()
            table[key] = box
            return box
        }
    }

    private func distribution(_ key: Key, scale: Double) -> DistributionBox {
        distributions.withLock { table in
            if let box = table[key] { return box }
            let box = DistributionBox(scale: scale)
            table[key] = box
            return box
        }
    }

    /// The value of a counter, 0 when it was never created.
    public func counterValue(_ label: String, _ dimensions: [(String, String)]) -> Double {
        counters.withLock { $0[Key(label, dimensions)] }?.value.withLock { $0 } ?? 0
    }

    /// Summary of a timer or recorder: count, mean, p50, p95, max (timers in seconds).
    public struct Distribution: Sendable, Codable {
        public var count: Int
        public var mean: Double
        public var p50: Double
        public var p95: Double
        public var max: Double
    }

    public func distribution(_ label: String, _ dimensions: [(String, String)]) -> Distribution? {
        guard let box = distributions.withLock({ $0[Key(label, dimensions)] }) else { return nil }
        return box.stats.withLock { s in
            guard s.count > 0 else { return nil }
            let sorted = s.samples.sorted()
            func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * q))] }
            return Distribution(count: s.count, mean: s.sum / Double(s.count), p50: quantile(0.5), p95: quantile(0.95),
                                max: s.maximum)
        }
    }
}
