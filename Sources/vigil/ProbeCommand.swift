import ArgumentParser
import VigilCore
import VigilMedia

/// `vigil probe URL`: what a `video` source would read from a file or stream.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Show the streams, codec, size, frame rate, duration and frame count of a video file or stream.",
        discussion: """
        Examples:
          vigil probe samples/vtest.avi
          vigil probe --count-frames --json samples/bikes.mp4
          vigil probe --rtsp-transport tcp rtsp://camera.local/stream1
        """)

    @Argument(help: "A file path or a URL (rtsp://, http(s)://, tcp://, udp://).")
    var url: String

    @Flag(name: .long, help: "Decode the whole video stream to count its frames exactly (like ffprobe -count_frames).")
    var countFrames = false

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Option(name: .long, help: "Transport for rtsp:// URLs: tcp or udp.")
    var rtspTransport: String?

    @Option(name: .long, help: "Give up when no data arrives for this long (e.g. 5s).")
    var timeout: String = "10s"

    func run() async throws {
        guard let seconds = ConfigValueParser.duration(timeout), seconds > 0 else {
            throw ArgumentParser.ValidationError("invalid --timeout '\(timeout)': expected a duration such as 5s")
        }
        var transport: RTSPTransport?
        if let rtspTransport {
            guard let t = RTSPTransport(rawValue: rtspTransport) else {
                throw ArgumentParser.ValidationError("invalid --rtsp-transport '\(rtspTransport)': expected tcp or udp")
            }
            transport = t
        }
        do {
            let probe = try MediaProbe.probe(url, countFrames: countFrames, readTimeout: seconds, rtspTransport: transport)
            print(json ? try probe.jsonString() : probe.description)
        } catch {
            printError(error)
            throw ExitCode.failure
        }
    }
}
