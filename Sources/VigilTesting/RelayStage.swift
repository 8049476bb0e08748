import VigilCore

/// The running `relay` transform.
final class Relay: Stage {
    func run(input: StageInput, output: StageOutput) async throws {
        for try await message in input { try await output.send(message) }
    }
}
