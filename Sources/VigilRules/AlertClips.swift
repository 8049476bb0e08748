import Foundation
import Logging
import VigilCore

/// Cuts the `clip:` of each alert's start from the camera's source file through the run's
/// ``ClipMaker``. A live (network) source has no file to cut from: its alerts get no clip, said once.
struct AlertClips {
    let settings: AlertSpec.Clip
    let maker: any ClipMaker
    let folder: String
    /// Source id -> URL of the run's inputs.
    let sources: [String: String]
    let logger: Logger

    func cut(for event: Event) throws -> ClipResult? {
        guard let id = event.alertID else { return nil }
        guard let url = sources[event.sourceID], !url.contains("://") else {
            logger.info("no clip for the alert: its source is not a file", metadata: ["alert.id": "\(id)", "camera.id": "\(event.sourceID)"])
            return nil
        }
        let t = (event.startTime ?? event.time).seconds
        let name = String(id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        let request = ClipRequest(source: url, start: t - settings.before, end: t + settings.after, exact: settings.exact,
                                  output: folder + "/" + name + (settings.exact ? ".mp4" : ".mkv"))
        return try maker.makeClip(request)
    }
}
