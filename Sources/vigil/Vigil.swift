import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Video analytics pipelines: decode, detect, track, re-identify, alert, aggregate, export.",
        discussion: """
        A pipeline is a YAML file wiring sources, stages and sinks into a graph (see Pipelines/).

        Examples:
          vigil validate Pipelines/people-detect.yaml
          vigil graph Pipelines/people-detect.yaml --format mermaid
          vigil run Pipelines/people-detect.yaml
          vigil run Pipelines/people-detect.yaml --input camera=rtsp://10.0.0.5/stream --mode stream
          vigil probe samples/vtest.avi
        """,
        subcommands: [ValidateCommand.self, GraphCommand.self, RunCommand.self, ProbeCommand.self, ModelsCommand.self,
                      TrackCommand.self, DbCommand.self, ServeCommand.self, UsersCommand.self, ExportCommand.self,
                      WorkerCommand.self, JobsCommand.self, WorkersCommand.self]
    )

    static func main() async {
        unblockTerminationSignals()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// A service must not depend on the signal mask it inherits: a parent that blocks SIGTERM (some
    /// supervisors and test runners do) would make `vigil run --mode stream` impossible to stop
    /// gracefully. Done first, on the main thread, so threads started later inherit it.
    private static func unblockTerminationSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
