internal import CFFmpeg

/// Owner of one `AVPacket`, reused for every read (unreferenced after each use).
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(MediaError) {
        guard let p = av_packet_alloc() else { throw ffAllocationFailed("av_packet_alloc") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }

    func unref() { av_packet_unref(pointer) }
}

/// Owner of one `AVFrame`, reused for every decoded picture.
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(MediaError) {
        guard let p = av_frame_alloc() else { throw ffAllocationFailed("av_frame_alloc") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }

    func unref() { av_frame_unref(pointer) }
}

/// Owner of an `AVDictionary` of options; what FFmpeg leaves in it after a call is what it ignored.
final class OptionDictionary {
    var pointer: OpaquePointer?

    init(_ options: [(String, String)] = []) {
        for (key, value) in options { av_dict_set(&pointer, key, value, 0) }
    }

    deinit { av_dict_free(&pointer) }

    var isEmpty: Bool { av_dict_count(pointer) == 0 }
}
