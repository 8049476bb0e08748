internal import CFFmpeg

/// Owner of one output `AVFormatContext` and its file: streams are added, the header written on
/// ``start()``, packets interleaved, the trailer written by ``finish()``; `deinit` closes the file and
/// frees the context whether or not the trailer was written.
final class Muxer {
    let context: UnsafeMutablePointer<AVFormatContext>
    let path: String
    private var started = false
    private var opened = false

    /// `format` is the container's short name (`mp4`), not guessed from the path: temporary names have
    /// other extensions.
    init(path: String, format: String) throws(MediaError) {
        var allocated: UnsafeMutablePointer<AVFormatContext>?
        try ff("avformat_alloc_output_context2") { avformat_alloc_output_context2(&allocated, nil, format, path) }
        guard let allocated else { throw ffAllocationFailed("avformat_alloc_output_context2") }
        context = allocated
        self.path = path
    }

    deinit {
        if opened { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
    }

    /// FFmpeg's container for a file name's extension (`mkv` -> matroska), if any.
    static func formatName(forPath path: String) -> String? {
        guard let format = av_guess_format(nil, path, nil) else { return nil }
        return String(cString: format.pointee.name)
    }

    var needsGlobalHeader: Bool { vigil_needs_global_header(context) != 0 }

    /// Adds a stream and returns it (owned by the context).
    func addStream() throws(MediaError) -> UnsafeMutablePointer<AVStream> {
        guard let stream = avformat_new_stream(context, nil) else { throw ffAllocationFailed("avformat_new_stream") }
        return stream
    }

    /// Opens the file and writes the header; `options` are muxer options (e.g. `movflags`).
    func start(options: [(String, String)] = []) throws(MediaError) {
        if vigil_format_has_file(context) != 0 {
            try ff("avio_open") { avio_open(&context.pointee.pb, path, vigil_avio_flag_write()) }
            opened = true
        }
        let dictionary = OptionDictionary(options)
        try ff("avformat_write_header") { avformat_write_header(context, &dictionary.pointer) }
        started = true
    }

    /// Writes one packet (its timestamps in its stream's time base), interleaving by time.
    func write(_ packet: Packet) throws(MediaError) {
        try ff("av_interleaved_write_frame") { av_interleaved_write_frame(context, packet.pointer) }
    }

    func finish() throws(MediaError) {
        guard started else { return }
        try ff("av_write_trailer") { av_write_trailer(context) }
        started = false
        if opened {
            avio_closep(&context.pointee.pb)
            opened = false
        }
    }
}
