internal import CFFmpeg

/// Owner of one opened `AVFormatContext` (an input file or stream), closed in `deinit`.
final class Demuxer {
    let context: UnsafeMutablePointer<AVFormatContext>
    /// Kept alive as long as the context, whose interrupt callback points at it (unretained).
    let monitor: InterruptMonitor

    /// Opens `url`; FFmpeg blocking inside is bounded by the monitor's timeout and stop flag.
    init(url: String, options: [(String, String)], monitor: InterruptMonitor) throws(MediaError) {
        guard let allocated = avformat_alloc_context() else { throw ffAllocationFailed("avformat_alloc_context") }
        vigil_set_interrupt(allocated, InterruptMonitor.callback, Unmanaged.passUnretained(monitor).toOpaque())
        let dictionary = OptionDictionary(options)
        var opened: UnsafeMutablePointer<AVFormatContext>? = allocated
        monitor.arm()
        defer { monitor.disarm() }
        // On failure avformat_open_input frees the context and sets `opened` to NULL.
        try ff("avformat_open_input") { avformat_open_input(&opened, url, nil, &dictionary.pointer) }
        guard let opened else { throw ffAllocationFailed("avformat_open_input") }
        self.context = opened
        self.monitor = monitor
    }

    deinit {
        var pointer: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&pointer)
    }

    /// Reads a little of the input to learn its streams' parameters. Probing reads up to FFmpeg's
    /// `analyzeduration` (5 s) of media, which a live stream delivers in real time: allowed on top of
    /// the read timeout.
    func findStreamInfo() throws(MediaError) {
        monitor.arm(extra: 5)
        defer { monitor.disarm() }
        try ff("avformat_find_stream_info") { avformat_find_stream_info(context, nil) }
    }

    var streamCount: Int { Int(context.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream>? { vigil_stream(context, UInt32(index)) }

    /// The container's name, e.g. `avi` or `mov,mp4,m4a,3gp,3g2,mj2`.
    var formatName: String { context.pointee.iformat.map { String(cString: $0.pointee.name) } ?? "unknown" }

    /// Total duration in seconds, when known.
    var duration: Double? {
        let d = context.pointee.duration
        return d > 0 && d != FFCode.noPTS ? Double(d) / Double(vigil_av_time_base()) : nil
    }

    var bitRate: Int? { context.pointee.bit_rate > 0 ? Int(context.pointee.bit_rate) : nil }

    /// A metadata tag of the container, or else of stream `streamIndex` (MP4 keeps `creation_time` in both).
    func metadata(_ key: String, streamIndex: Int? = nil) -> String? {
        if let entry = av_dict_get(context.pointee.metadata, key, nil, 0), let value = entry.pointee.value {
            return String(cString: value)
        }
        guard let streamIndex, let stream = stream(streamIndex),
              let entry = av_dict_get(stream.pointee.metadata, key, nil, 0), let value = entry.pointee.value else { return nil }
        return String(cString: value)
    }

    /// The best video stream and a decoder for it.
    func bestVideoStream() throws(MediaError) -> (index: Int, codec: UnsafePointer<AVCodec>) {
        var codec: UnsafePointer<AVCodec>?
        guard case .value(let index) = try ff("av_find_best_stream", {
            av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        }), let codec else {
            throw MediaError(code: -1, message: "no decoder", call: "av_find_best_stream")
        }
        return (Int(index), codec)
    }

    /// Reads the next packet of any stream into `packet`; `false` at the end of the input.
    func read(into packet: Packet) throws(MediaError) -> Bool {
        monitor.arm()
        defer { monitor.disarm() }
        return try ff("av_read_frame") { av_read_frame(context, packet.pointer) } != .endOfFile
    }

    /// Seeks `streamIndex` to the last keyframe at or before `timestamp` (in the stream's time base).
    func seek(streamIndex: Int, to timestamp: Int64) throws(MediaError) {
        monitor.arm()
        defer { monitor.disarm() }
        try ff("avformat_seek_file") {
            avformat_seek_file(context, Int32(streamIndex), .min, timestamp, timestamp, 0)
        }
    }
}
