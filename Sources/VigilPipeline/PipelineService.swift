public import ServiceLifecycle
import VigilCore

/// A pipeline run as a swift-service-lifecycle `Service` (stream mode): on graceful shutdown
/// (SIGINT/SIGTERM through the `ServiceGroup`), sources stop, in-flight frames drain through the
/// graph and sinks flush before `run()` returns.
public final class PipelineService: Service, Sendable {
    public let runner: PipelineRunner
    private let completion: @Sendable (RunSummary) -> Void

    public init(runner: PipelineRunner, completion: @escaping @Sendable (RunSummary) -> Void) {
        self.runner = runner
        self.completion = completion
    }

    public func run() async throws {
        let runner = self.runner
        let summary = try await withGracefulShutdownHandler {
            try await runner.run()
        } onGracefulShutdown: {
            runner.shutdown.request()
        }
        completion(summary)
    }
}
