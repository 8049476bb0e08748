internal import CFFmpeg
public import Foundation
import VigilCore

/// What `vigil probe URL` shows: the container, its streams, and the video stream Vigil would read.
public struct MediaProbe: Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Stream: Sendable, Hashable, Codable {
        public var index: Int
        /// `video`, `audio`, `subtitle`, `data`, ...
        public var type: String
        public var codec: String
        public var width: Int?
        public var height: Int?
        public var fps: Double?
        public var duration: Double?
        /// Frames the container declares for this stream.
        public var frameCount: Int?
    }

    public var url: String
    /// Container format, e.g. `avi`, `mov,mp4,m4a,3gp,3g2,mj2`, `mpegts`.
    public var format: String
    public var duration: Double?
    public var bitRate: Int?
    public var streams: [Stream]
    /// Index of the stream a `video` source reads (FFmpeg's best video stream).
    public var videoStream: Int
    public var codec: String
    public var width: Int
    public var height: Int
    public var fps: Double?
    /// Frames of the video stream: counted by decoding when asked, else as the container declares.
    public var frameCount: Int?
    /// Whether ``frameCount`` was counted by decoding every frame.
    public var frameCountIsExact: Bool
    /// When the recording started, from the container's `creation_time` tag.
    public var creationTime: Date?

    /// Opens `url` and describes it; with `countFrames`, decodes the whole video stream to count frames
    /// (like `ffprobe -count_frames`). Throws the same typed errors as a `video` source.
    public static func probe(_ url: String, countFrames: Bool = false, readTimeout: Double = 10,
                             rtspTransport: RTSPTransport? = nil) throws -> MediaProbe {
        let reader = try VideoReader(url: url, options: VideoReaderOptions(rtspTransport: rtspTransport, readTimeout: readTimeout))
        var streams: [Stream] = []
        for index in 0..<reader.demuxer.streamCount {
            guard let stream = reader.demuxer.stream(index) else { continue }
            let par = stream.pointee.codecpar.pointee
            let isVideo = par.codec_type == AVMEDIA_TYPE_VIDEO
            let tb = stream.pointee.time_base
            let d = stream.pointee.duration
            streams.append(Stream(
                index: index,
                type: av_get_media_type_string(par.codec_type).map { String(cString: $0) } ?? "unknown",
                codec: String(cString: avcodec_get_name(par.codec_id)),
                width: isVideo ? Int(par.width) : nil, height: isVideo ? Int(par.height) : nil,
                fps: isVideo ? (VideoReader.rate(stream.pointee.avg_frame_rate) ?? VideoReader.rate(stream.pointee.r_frame_rate)) : nil,
                duration: d > 0 && d != FFCode.noPTS && tb.den > 0 ? Double(d) * Double(tb.num) / Double(tb.den) : nil,
                frameCount: stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil))
        }
        var frameCount = reader.declaredFrameCount
        if countFrames {
            var counted = 0
            while try reader.next() != nil { counted += 1 }
            frameCount = counted
        }
        return MediaProbe(url: url, format: reader.formatName, duration: reader.duration ?? reader.demuxer.duration,
                          bitRate: reader.demuxer.bitRate, streams: streams, videoStream: reader.streamIndex,
                          codec: reader.codecName, width: reader.width, height: reader.height, fps: reader.frameRate,
                          frameCount: frameCount, frameCountIsExact: countFrames, creationTime: reader.creationTime)
    }

    /// Human-readable, several lines.
    public var description: String {
        var lines = ["\(url)", "  format:   \(format)"]
        lines.append("  video:    stream #\(videoStream), \(codec), \(width)x\(height)"
                     + (fps.map { ", \(Self.number($0)) fps" } ?? ""))
        lines.append("  duration: " + (duration.map { "\(Self.number($0)) s (\(MediaTime(seconds: $0)))" } ?? "unknown"))
        lines.append("  frames:   " + (frameCount.map { "\($0)" + (frameCountIsExact ? " (counted)" : " (declared)") } ?? "unknown"))
        if let creationTime { lines.append("  recorded: \(CreationTime.format(creationTime))") }
        if let bitRate { lines.append("  bitrate:  \(bitRate / 1000) kb/s") }
        lines.append("  streams:")
        for s in streams {
            var line = "    #\(s.index) \(s.type) \(s.codec)"
            if let w = s.width, let h = s.height { line += " \(w)x\(h)" }
            if let f = s.fps { line += " \(Self.number(f)) fps" }
            if let n = s.frameCount { line += " \(n) frames" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// Pretty-printed JSON with sorted keys (snake_case).
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private static func number(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%.3f", v)
    }
}
