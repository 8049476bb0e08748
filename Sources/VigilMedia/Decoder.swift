internal import CFFmpeg

/// Owner of one opened `AVCodecContext` decoding a video stream with frame and slice threading.
final class Decoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    init(stream: UnsafeMutablePointer<AVStream>, codec: UnsafePointer<AVCodec>, threads: Int) throws(MediaError) {
        guard let allocated = avcodec_alloc_context3(codec) else { throw ffAllocationFailed("avcodec_alloc_context3") }
        context = allocated
        // From here on `deinit` frees the context if a call below throws.
        try ff("avcodec_parameters_to_context") { avcodec_parameters_to_context(allocated, stream.pointee.codecpar) }
        allocated.pointee.pkt_timebase = stream.pointee.time_base
        allocated.pointee.thread_count = Int32(threads)
        allocated.pointee.thread_type = vigil_thread_frame_slice()
        try ff("avcodec_open2") { avcodec_open2(allocated, codec, nil) }
    }

    /// A decoder of single pictures with no container around them (JPEG images pushed by clients).
    init(codec: UnsafePointer<AVCodec>) throws(MediaError) {
        guard let allocated = avcodec_alloc_context3(codec) else { throw ffAllocationFailed("avcodec_alloc_context3") }
        context = allocated
        allocated.pointee.thread_count = 1
        try ff("avcodec_open2") { avcodec_open2(allocated, codec, nil) }
    }

    deinit {
        var pointer: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&pointer)
    }

    var codecName: String { String(cString: avcodec_get_name(context.pointee.codec_id)) }

    /// Feeds one packet, or `nil` to start draining at the end of the input.
    func send(_ packet: Packet?) throws(MediaError) -> FFResult {
        try ff("avcodec_send_packet") { avcodec_send_packet(context, packet?.pointer) }
    }

    /// Takes the next decoded picture into `frame`.
    func receive(into frame: Frame) throws(MediaError) -> FFResult {
        try ff("avcodec_receive_frame") { avcodec_receive_frame(context, frame.pointer) }
    }

    /// Drops buffered frames after a seek.
    func flush() { avcodec_flush_buffers(context) }
}
