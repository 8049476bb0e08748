import ArgumentParser
import Foundation
import VigilCore
import VigilMedia
import VigilStore

/// `vigil export clip`: `[t - before, t + after]` of a source video around a time or an alert.
struct ExportClipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "Cut a clip around a time or an alert, by stream copy (default) or re-encoded exactly (--exact).",
        discussion: """
        A stream copy starts at the key frame at or before t - before (no re-encoding; the container from the
        extension of --out: .mkv holds any codec); --exact re-encodes to H.264/MP4 starting exactly there.
        Prints the requested and the actual start as JSON.

        Examples:
          vigil export clip --source samples/vtest.avi --at 30s --out out/clip.mkv
          vigil export clip --alert 'arrivals/plaza/track-4/12300' --before 3s --after 7s --exact --out out/alert.mp4
        """)

    @Option(help: ArgumentHelp("The source video (default with --alert: the camera's URL in the database).", valueName: "PATH"))
    var source: String?
    @Option(help: ArgumentHelp("The time in the source (media time: 30s, 1m30s, 00:01:30).", valueName: "T"))
    var at: String?
    @Option(help: ArgumentHelp("An alert id: its start time and camera come from the database.", valueName: "ID"))
    var alert: String?
    @Option(help: "Seconds before the time.")
    var before = "5s"
    @Option(help: "Seconds after the time.")
    var after = "5s"
    @Flag(help: "Re-encode to H.264 so that the clip starts exactly at t - before.")
    var exact = false
    @Option(help: ArgumentHelp("The clip file (.mkv, .mp4, .avi; --exact writes MP4).", valueName: "PATH"))
    var out: String
    @OptionGroup var connection: DbConnectionOptions

    func validate() throws {
        guard (at == nil) != (alert == nil) else { throw ArgumentParser.ValidationError("give one of --at and --alert") }
        if let at, ConfigValueParser.duration(at) == nil { throw ArgumentParser.ValidationError("--at: '\(at)' is not a time such as 30s") }
        guard let b = ConfigValueParser.duration(before), b >= 0 else { throw ArgumentParser.ValidationError("--before: '\(before)' is not a duration") }
        guard let a = ConfigValueParser.duration(after), a >= 0, a + b > 0 else {
            throw ArgumentParser.ValidationError("--after: '\(after)' is not a duration (and the clip must not be empty)")
        }
        if alert == nil, source == nil { throw ArgumentParser.ValidationError("--at needs --source") }
        if let source, !source.contains("://"), !FileManager.default.fileExists(atPath: source) {
            throw ArgumentParser.ValidationError("--source: the video '\(source)' does not exist")
        }
    }

    func run() async throws {
        var time = at.flatMap(ConfigValueParser.duration)
        var video = source
        if let alert {
            let found = try await connection.withDB { db -> (Double, String?)? in
                let escaped = alert.replacingOccurrences(of: "'", with: "''")
                let rows = try await db.rows(sql: """
                    SELECT e.media_time, c.url FROM events e JOIN cameras c ON c.id = e.camera_id
                    WHERE e.alert_id = '\(escaped)' ORDER BY e.time LIMIT 1
                    """, doing: "finding the alert")
                return rows.first.map { ($0[0].double ?? 0, $0[1].text) }
            }
            guard let found else {
                printError(VigilError(.invalidArgument, "there is no alert '\(alert)' in the database"))
                throw ExitCode.failure
            }
            time = found.0
            video = video ?? found.1
        }
        guard let time, let video else {
            printError(VigilError(.invalidArgument, "the camera of the alert has no source video in the database; pass --source"))
            throw ExitCode.failure
        }
        let request = ClipRequest(source: video, start: time - ConfigValueParser.duration(before)!, end: time + ConfigValueParser.duration(after)!,
                                  exact: exact, output: out)
        do {
            let clip = try MediaClipMaker().makeClip(request)
            print("{\"path\":\(json(clip.path)),\"requested_start\":\(clip.requestedStart),\"actual_start\":\(clip.actualStart),"
                  + "\"end\":\(clip.end),\"frames\":\(clip.frames),\"codec\":\(json(clip.codec)),\"exact\":\(clip.exact)}")
        } catch {
            printError(error)
            throw ExitCode.failure
        }
    }

    private func json(_ s: String) -> String {
        var out = ""
        JSONString.append(s, to: &out)
        return out
    }
}
