import VigilCore

/// The running `relay` transform.
final class Relay: Stage {
    let id: String
    let eventEvery: Int?
    init(id: String, eventEvery: Int?) { self.id = id; self.eventEvery = eventEvery }

    func run(input: StageInput, output: StageOutput) async throws {
        var frames = 0, events = 0
        var started: MediaTime?
        for try await message in input {
            try await output.send(message)
            guard let every = eventEvery, case .frame(let frame) = message else { continue }
            frames += 1
            guard frames % every == 0 else { continue }
            let alert = "\(id)-\(events / 2)"
            let time = frame.info.time
            let phase: Event.Phase = events % 2 == 0 ? .start : .end
            if phase == .start { started = time }
            try await output.send(.event(Event(
                time: time, sourceID: frame.info.sourceID, rule: id, kind: "relay_alert", severity: .warning,
                message: "\(alert) \(phase.rawValue) at frame \(frame.info.index)", attributes: ["frame": "\(frame.info.index)"],
                alertID: alert, phase: phase, startTime: started, value: Double(frame.info.index), peakValue: Double(frame.info.index))))
            events += 1
        }
    }
}
