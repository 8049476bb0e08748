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

    /// Converts `height` rows of packed pixels at `source` (`stride` bytes apart) into this frame's planes
    /// with `converter` (an `SwsContext` from the source's format to this frame's).
    func fill(from source: UnsafeRawPointer, stride: Int, height: Int, converter: OpaquePointer) throws(MediaError) {
        var input: UnsafePointer<UInt8>? = source.assumingMemoryBound(to: UInt8.self)
        var inputStride = Int32(stride)
        let dst = pointer
        let rows = withUnsafeMutablePointer(to: &dst.pointee.data) { data in
            withUnsafeMutablePointer(to: &dst.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { planes in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                        sws_scale(converter, &input, &inputStride, 0, Int32(height), planes, strides)
                    }
                }
            }
        }
        guard rows == Int32(height) else { throw MediaError(code: -22, message: "converted \(rows) rows", call: "sws_scale") }
    }
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
