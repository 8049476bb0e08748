import Foundation
import ServiceLifecycle
import VigilCore

/// A one-line progress bar on standard error: frames done, frames/s and ETA.
struct ProgressBar: Service {
    let progress: RunProgress

    func run() async throws {
        let start = ContinuousClock.now
        var shown = false
        defer { if shown { printStandardError("\r\u{1B}[2K") } }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let (done, expected) = progress.snapshot
            let elapsed = (ContinuousClock.now - start)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let fps = seconds > 0 ? Double(done) / seconds : 0
            var line = String(format: "%6d frames  %7.1f frames/s", done, fps)
            if let expected, expected > 0 {
                let fraction = min(1, Double(done) / Double(expected))
                let width = 30
                let filled = Int(fraction * Double(width))
                let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
                let eta = fps > 0 ? Double(max(0, expected - done)) / fps : 0
                line = String(format: "[%@] %3.0f%%  ", bar, fraction * 100) + line + String(format: "  ETA %.0fs", eta)
            }
            printStandardError("\r\u{1B}[2K" + line)
            shown = true
        }
    }
}
