internal import CFFmpeg
import Foundation
import VigilCore

/// Turns FFmpeg failures while opening an input into errors that say what is wrong with it and
/// what to do, keeping FFmpeg's own message as the cause.
enum MediaFailure {
    static func open(_ url: String, _ error: MediaError, monitor: InterruptMonitor) -> VigilError {
        let network = VideoReader.isNetworkURL(url)
        if error.code == FFCode.exit {
            if monitor.reason == .timeout {
                return VigilError(.mediaTimeout, "no response within \(formatSeconds(monitor.timeout)); check that the stream is up or raise read_timeout",
                                  subject: url, cause: error)
            }
            return VigilError(.mediaOpen, "opening was interrupted (stopping)", subject: url, cause: error)
        }
        if !network {
            let path = url.hasPrefix("file:") ? String(url.drop(while: { $0 != ":" }).dropFirst()) : url
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                return VigilError(.mediaNotFound, "no such file; check the path (relative paths are resolved against the pipeline file's folder)",
                                  subject: url, cause: error)
            }
            if isDirectory.boolValue {
                return VigilError(.mediaOpen, "is a directory, not a video file", subject: url, cause: error)
            }
            if !FileManager.default.isReadableFile(atPath: path) {
                return VigilError(.mediaOpen, "the file is not readable; check its permissions", subject: url, cause: error)
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            if size == 0 {
                return VigilError(.mediaOpen, "the file is empty (0 bytes)", subject: url, cause: error)
            }
            if error.code == FFCode.invalidData {
                return VigilError(.mediaOpen, "not a video file FFmpeg can read: unknown or damaged container",
                                  subject: url, cause: error)
            }
            return VigilError(.mediaOpen, "cannot open the file", subject: url, cause: error)
        }
        return VigilError(.mediaOpen, "cannot open the stream; check the URL and that the server is reachable",
                          subject: url, cause: error)
    }

    /// `av_find_best_stream` failed: no video stream at all, or no decoder for it.
    static func noVideo(_ url: String, _ error: MediaError, demuxer: Demuxer) -> VigilError {
        var kinds: [String] = []
        var videoCodec: String?
        for index in 0..<demuxer.streamCount {
            guard let par = demuxer.stream(index)?.pointee.codecpar.pointee else { continue }
            let type = av_get_media_type_string(par.codec_type).map { String(cString: $0) } ?? "unknown"
            let codec = String(cString: avcodec_get_name(par.codec_id))
            kinds.append("\(type) \(codec)")
            if par.codec_type == AVMEDIA_TYPE_VIDEO { videoCodec = codec }
        }
        if let videoCodec {
            return VigilError(.unsupportedCodec, "the video codec '\(videoCodec)' is not supported by this FFmpeg build",
                              subject: url, cause: error)
        }
        let found = kinds.isEmpty ? "no streams" : "streams: " + kinds.joined(separator: ", ")
        return VigilError(.noVideoStream, "has no video stream (\(found))", subject: url, cause: error)
    }
}
