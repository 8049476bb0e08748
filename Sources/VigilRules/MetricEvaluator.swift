/// Evaluates one ``MetricExpression`` frame after frame, keeping the windows its `ratio`, `mean`,
/// `min` and `max` functions need. Pure: fed by frame times and measurements.
struct MetricEvaluator {
    let expression: MetricExpression
    /// Per window: the (time, value) pairs of the frames inside it, oldest first.
    private var windows: [[(time: Double, value: Double)]]

    init(_ expression: MetricExpression) {
        self.expression = expression
        windows = Array(repeating: [], count: expression.windowCount)
    }

    /// Whether the condition holds on this frame; `nil` when a measurement it reads is missing. The
    /// value of the left side comes back too (the alert's value).
    mutating func evaluate(_ measurements: [String: Double], at time: Double) -> (holds: Bool?, value: Double?) {
        let condition = expression.condition
        let lhs = value(condition.lhs, measurements, time)
        let rhs = value(condition.rhs, measurements, time)
        guard let lhs, let rhs else { return (nil, lhs) }
        return (condition.comparison.holds(lhs, rhs), lhs)
    }

    private mutating func value(_ node: MetricExpression.Node, _ m: [String: Double], _ time: Double) -> Double? {
        switch node {
        case .number(let v): return v
        case .name(let n): return m[n]
        case .abs(let inner): return value(inner, m, time).map(Swift.abs)
        case .binary(let op, let a, let b):
            // Both sides every frame, so windows inside either keep their samples.
            let left = value(a, m, time), right = value(b, m, time)
            guard let x = left, let y = right else { return nil }
            switch op {
            case "+": return x + y
            case "-": return x - y
            case "*": return x * y
            default: return y == 0 ? nil : x / y
            }
        case .ratio(let slot, let condition, let seconds):
            var sample: Double?
            let left = value(condition.lhs, m, time), right = value(condition.rhs, m, time)
            if let x = left, let y = right {
                sample = condition.comparison.holds(x, y) ? 1 : 0
            }
            return push(sample, slot: slot, seconds: seconds, time: time) { values in
                values.reduce(0, +) / Double(values.count)
            }
        case .window(let kind, let slot, let argument, let seconds):
            return push(value(argument, m, time), slot: slot, seconds: seconds, time: time) { values in
                switch kind {
                case .mean: values.reduce(0, +) / Double(values.count)
                case .min: values.min()!
                case .max: values.max()!
                }
            }
        }
    }

    /// Adds this frame's sample (frames with an unknown sample are left out), drops what fell out of
    /// the window and summarises the rest; `nil` while the window holds nothing.
    private mutating func push(_ sample: Double?, slot: Int, seconds: Double, time: Double,
                               _ summary: ([Double]) -> Double) -> Double? {
        if let sample { windows[slot].append((time, sample)) }
        let oldest = time - seconds
        if let cut = windows[slot].firstIndex(where: { $0.time > oldest }) {
            if cut > 0 { windows[slot].removeFirst(cut) }
        } else {
            windows[slot].removeAll()
        }
        let values = windows[slot].map(\.value)
        return values.isEmpty ? nil : summary(values)
    }
}
