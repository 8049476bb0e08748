import VigilCore

/// The running `aggregate` stage: one ``WindowAggregator`` per camera; rows out as windows close, the
/// rest when the input ends.
final class AggregateStage: Stage {
    private func tagged(_ row: AggregateRow) -> AggregateRow {
        guard let subject = spec.subject else { return row }
        var row = row
        row.dimensions["subject"] = subject
        return row
    }

    private let spec: AggregateSpec
    private let countDropped: @Sendable (Int) -> Void
    private var cameras: [String: WindowAggregator] = [:]

    init(spec: AggregateSpec, countDropped: @escaping @Sendable (Int) -> Void) {
        self.spec = spec
        self.countDropped = countDropped
    }

    func run(input: StageInput, output: StageOutput) async throws {
        for try await message in input {
            if case .row = message {
                try await output.send(message)
                continue
            }
            var aggregator = cameras[message.sourceID]
                ?? WindowAggregator(source: message.sourceID, seconds: spec.windowSeconds, allowedLateness: spec.allowedLateness,
                                    measurements: spec.measurements)
            if !aggregator.add(message) { countDropped(1) }
            let rows = aggregator.close()
            cameras[message.sourceID] = aggregator
            for row in rows { try await output.send(.row(tagged(row))) }
        }
        for source in cameras.keys.sorted() {
            for row in cameras[source]!.close(flush: true) { try await output.send(.row(tagged(row))) }
        }
    }
}
