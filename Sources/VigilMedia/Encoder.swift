internal import CFFmpeg

/// Owner of one opened `AVCodecContext` encoding video (H.264 through libx264 by default) or pictures (MJPEG).
final class Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    init(codecName: String, width: Int, height: Int, timeBase: AVRational, frameRate: AVRational,
         options: [(String, String)], threads: Int, globalHeader: Bool,
         pixelFormat: AVPixelFormat = AV_PIX_FMT_YUV420P) throws(MediaError) {
        guard let codec = avcodec_find_encoder_by_name(codecName) else {
            throw MediaError(code: -1, message: "FFmpeg has no \(codecName) encoder", call: "avcodec_find_encoder_by_name")
        }
        guard let allocated = avcodec_alloc_context3(codec) else { throw ffAllocationFailed("avcodec_alloc_context3") }
        context = allocated
        allocated.pointee.width = Int32(width)
        allocated.pointee.height = Int32(height)
        allocated.pointee.pix_fmt = pixelFormat
        allocated.pointee.time_base = timeBase
        allocated.pointee.framerate = frameRate
        allocated.pointee.thread_count = Int32(threads)
        if globalHeader { vigil_set_global_header(allocated) }
        let dictionary = OptionDictionary(options)
        try ff("avcodec_open2") { avcodec_open2(allocated, codec, &dictionary.pointer) }
    }

    deinit {
        var pointer: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&pointer)
    }

    /// Feeds one picture, or `nil` to drain at the end.
    func send(_ frame: Frame?) throws(MediaError) -> FFResult {
        try ff("avcodec_send_frame") { avcodec_send_frame(context, frame?.pointer) }
    }

    func receive(into packet: Packet) throws(MediaError) -> FFResult {
        try ff("avcodec_receive_packet") { avcodec_receive_packet(context, packet.pointer) }
    }
}
