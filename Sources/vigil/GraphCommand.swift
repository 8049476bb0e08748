import ArgumentParser
import VigilPipeline

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print a pipeline's graph as Graphviz DOT or Mermaid.",
        discussion: """
        Examples:
          vigil graph Pipelines/site-tracking.yaml | dot -Tpng -o graph.png
          vigil graph Pipelines/site-tracking.yaml --format mermaid
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case dot, mermaid }

    @Argument(help: "Pipeline file.")
    var file: String

    @Option(help: "Output format: dot or mermaid.")
    var format: Format = .dot

    func run() throws {
        do {
            let spec = try PipelineLoader(registry: StageKinds.registry).load(file: file)
            print(format == .dot ? spec.graph.dot(name: spec.name) : spec.graph.mermaid(), terminator: "")
        } catch {
            printError(error)
            throw ExitCode.failure
        }
    }
}
