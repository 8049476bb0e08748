import ArgumentParser
import VigilCore
import VigilPipeline

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check pipeline files without running them; report every problem as file:line:column.",
        discussion: """
        Examples:
          vigil validate Pipelines/*.yaml
          vigil validate --list-types
        """
    )

    @Argument(help: "Pipeline files to check.")
    var files: [String] = []

    @Flag(help: "List the source, stage and sink types this build knows.")
    var listTypes = false

    func run() throws {
        if listTypes {
            for kind in StageKinds.registry.all {
                print("\(kind.role.section.padding(7))  \(kind.typeName.padding(12))  \(kind.summary)")
            }
            return
        }
        guard !files.isEmpty else { throw ArgumentParser.ValidationError("give at least one pipeline file") }
        var failed = false
        for file in files {
            do {
                let spec = try PipelineLoader(registry: StageKinds.registry).load(file: file)
                print("\(file): ok (\(spec.sources.count) sources, \(spec.components.count) components)")
            } catch {
                failed = true
                printError(error)
            }
        }
        if failed { throw ExitCode.failure }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
