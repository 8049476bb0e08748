internal import CFFmpeg
public import VigilCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Cuts clips with FFmpeg: by default the video stream's packets are copied without re-encoding from
/// the key frame at or before the start (the container from the output's extension: `.mkv`, `.mp4`,
/// `.avi`, ...); in exact mode the frames of `[start, end)` are decoded and re-encoded to H.264/MP4.
/// The clip is written under a temporary name and renamed into place when complete.
public struct MediaClipMaker: ClipMaker {
    public init() {}

    public func makeClip(_ request: ClipRequest) throws -> ClipResult {
        guard request.end > request.start else {
            throw VigilError(.invalidArgument, "the clip is empty: it must end after it starts (\(request.start) s to \(request.end) s)")
        }
        guard request.source.contains("://") || FileManager.default.fileExists(atPath: request.source) else {
            throw VigilError(.io, "the source video does not exist", subject: request.source)
        }
        let url = URL(fileURLWithPath: request.output)
        let folder = url.deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = folder + "/." + url.lastPathComponent + ".\(getpid()).partial"
        defer { unlink(temporary) }
        var result = request.exact ? try exact(request, to: temporary) : try copy(request, to: temporary)
        guard rename(temporary, request.output) == 0 else {
            throw VigilError(.io, "cannot rename the finished clip into place: \(String(cString: strerror(errno)))", subject: request.output)
        }
        result.path = request.output
        return result
    }

    /// Decodes `[start, end)` and encodes it to H.264, times relative to the start.
    private func exact(_ request: ClipRequest, to path: String) throws -> ClipResult {
        let reader = try VideoReader(url: request.source, options: VideoReaderOptions(start: request.start, end: request.end))
        let rate = reader.frameRate.map { abs($0 - $0.rounded()) < 1e-3 ? (Int($0.rounded()), 1) : (Int(($0 * 1001).rounded()), 1001) }
        let writer = try VideoWriter(path: path, width: reader.width, height: reader.height, frameRate: rate)
        var image: FrameImage?
        var first: Double?
        var last = request.start
        while let frame = try reader.next() {
            if image == nil { image = FrameImage(width: reader.frameWidth, height: reader.frameHeight, format: .bgr24) }
            try reader.convert(into: image!)
            if first == nil { first = frame.time }
            try writer.write(image!, time: frame.time - request.start)
            last = frame.time
        }
        guard let first else {
            throw VigilError(.invalidArgument, "the source has no frames between \(request.start) s and \(request.end) s", subject: request.source)
        }
        try writer.finish()
        let step = reader.frameRate.map { 1 / $0 } ?? 0
        return ClipResult(path: path, requestedStart: request.start, actualStart: first, end: last + step, frames: writer.framesWritten,
                          codec: "h264", exact: true)
    }

    /// Copies the video packets from the key frame at or before the start until past the end.
    private func copy(_ request: ClipRequest, to path: String) throws -> ClipResult {
        FFmpegSetup.once
        do {
            let input = try Demuxer(url: request.source, options: [], monitor: InterruptMonitor(timeout: 10, shutdown: nil))
            try input.findStreamInfo()
            let index = try input.bestVideoStream().index
            let stream = input.stream(index)!
            let tb = stream.pointee.time_base
            let seconds = Double(tb.num) / Double(tb.den)
            let origin = stream.pointee.start_time == FFCode.noPTS ? 0 : stream.pointee.start_time
            func ticks(_ t: Double) -> Int64 { origin + Int64((t / seconds).rounded(.down)) }
            func time(_ ts: Int64) -> Double { Double(ts - origin) * seconds }
            try input.seek(streamIndex: index, to: ticks(request.start))

            guard let format = Muxer.formatName(forPath: request.output) else {
                throw MediaError(code: -22, message: "no container for the extension of \(request.output); use .mkv, .mp4 or .avi",
                                 call: "av_guess_format")
            }
            let output = try Muxer(path: path, format: format)
            let out = try output.addStream()
            try ff("avcodec_parameters_copy") { avcodec_parameters_copy(out.pointee.codecpar, stream.pointee.codecpar) }
            out.pointee.codecpar.pointee.codec_tag = 0
            out.pointee.time_base = tb
            try output.start()

            let packet = try Packet()
            let endTicks = ticks(request.end)
            var firstDTS: Int64?
            var actualStart = 0.0, end = 0.0, frames = 0
            while try input.read(into: packet) {
                defer { packet.unref() }
                let p = packet.pointer
                guard Int(p.pointee.stream_index) == index else { continue }
                let pts = p.pointee.pts != FFCode.noPTS ? p.pointee.pts : p.pointee.dts
                let dts = p.pointee.dts != FFCode.noPTS ? p.pointee.dts : pts
                if firstDTS == nil {
                    guard vigil_packet_is_key(p) != 0 else { continue }   // start on a key frame
                    firstDTS = dts
                    actualStart = time(pts)
                }
                if dts >= endTicks && frames > 0 { break }
                end = max(end, time(pts + max(p.pointee.duration, 0)))
                p.pointee.pts = pts - firstDTS!
                p.pointee.dts = dts - firstDTS!
                p.pointee.stream_index = 0
                p.pointee.pos = -1
                av_packet_rescale_ts(p, tb, out.pointee.time_base)
                try output.write(packet)
                frames += 1
            }
            guard frames > 0, end > request.start else {
                throw MediaError(code: -22, message: "the source has no video after \(request.start) s (it ends at \(end) s)",
                                 call: "av_read_frame")
            }
            try output.finish()
            let codec = String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id))
            return ClipResult(path: path, requestedStart: request.start, actualStart: actualStart, end: end, frames: frames,
                              codec: codec, exact: false)
        } catch let error as MediaError {
            throw VigilError(.io, "cannot cut a clip from the source: \(error)", subject: request.source)
        }
    }
}
