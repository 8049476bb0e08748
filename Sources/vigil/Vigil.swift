import ArgumentParser

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
                      TrackCommand.self, DbCommand.self]
    )
}
