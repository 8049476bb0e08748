import ArgumentParser
import VigilMedia

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Show a video's streams, codec, size, frame rate, duration and frame count.",
        discussion: """
        Examples:
          vigil probe samples/vtest.avi
          vigil probe samples/bikes.mp4 --count-frames --json
          vigil probe rtsp://10.0.0.5/live
        """
    )

    @Argument(help: "A file path or URL (rtsp://, http(s)://, tcp://, udp://).")
    var url: String

    @Flag(help: "Decode the whole video to count its frames exactly (otherwise the container's count or an estimate).")
    var countFrames = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        do {
            let probe = try MediaProbe.probe(url, countFrames: countFrames)
            print(json ? try probe.jsonString() : probe.description)
        } catch {
            printError(error)
            throw ExitCode.failure
        }
    }
}
