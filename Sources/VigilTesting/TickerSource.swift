import VigilCore

/// The running `ticker` source.
final class Ticker: Stage {
    let count: Int
    let id: String
    init(count: Int, id: String) { self.count = count; self.id = id }

    func run(input: StageInput, output: StageOutput) async throws {
        for i in 0..<count {
            try await output.send(.event(Event(time: MediaTime(seconds: Double(i)), sourceID: id, rule: id,
                                               kind: "tick", message: "tick \(i)")))
        }
    }
}
