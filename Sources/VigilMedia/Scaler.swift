internal import CFFmpeg
import VigilCore

/// Owner of the `SwsContext` that converts decoded pictures straight into pooled ``FrameImage``s at the
/// size and pixel format a consumer asked for. The context is kept across frames and rebuilt only
/// when the input or output geometry changes.
///
/// With `threads > 1` the conversion is split over swscale's slice threads, as FFmpeg's own scale
/// filter does (`sws_scale_frame`); `sws_getCachedContext` cannot carry the thread count, so the cache
/// is kept here. With one thread it is the plain `sws_scale` path. Either way pixels are written once,
/// straight into the pooled image; the frame API only adds FFmpeg's small per-call buffer references.
final class Scaler {
    private struct Key: Equatable {
        var srcWidth, srcHeight, srcFormat, dstWidth, dstHeight, dstFormat, flags: Int32
    }

    private let threads: Int32
    private var context: OpaquePointer?
    private var key: Key?
    private var colorKey: (colorspace: Int32, range: Int32)?
    /// Describes the destination image to swscale's frame API; refers to it only during a call.
    private let scratch: Frame?

    init(threads: Int) {
        self.threads = Int32(max(1, threads))
        scratch = threads > 1 ? try? Frame() : nil
    }

    deinit { sws_freeContext(context) }

    /// Converts `frame` into `image`, which must be of the target size and format.
    func convert(_ frame: Frame, into image: FrameImage) throws(MediaError) {
        let src = frame.pointer
        let sameSize = Int(src.pointee.width) == image.width && Int(src.pointee.height) == image.height
        // Bicubic at the source size is what `ffmpeg -pix_fmt bgr24` does (so pixels match it);
        // bilinear with proper area filtering when scaling down, which is faster and sharp enough.
        let wanted = Key(srcWidth: src.pointee.width, srcHeight: src.pointee.height, srcFormat: src.pointee.format,
                         dstWidth: Int32(image.width), dstHeight: Int32(image.height),
                         dstFormat: image.format.avPixelFormat.rawValue, flags: sameSize ? SWS_BICUBIC : SWS_BILINEAR)
        if wanted != key || context == nil {
            sws_freeContext(context)
            context = scratch == nil
                ? sws_getContext(wanted.srcWidth, wanted.srcHeight, AVPixelFormat(rawValue: wanted.srcFormat),
                                 wanted.dstWidth, wanted.dstHeight, AVPixelFormat(rawValue: wanted.dstFormat),
                                 wanted.flags, nil, nil, nil)
                : vigil_sws_create(wanted.srcWidth, wanted.srcHeight, wanted.srcFormat, wanted.dstWidth,
                                   wanted.dstHeight, wanted.dstFormat, wanted.flags, threads)
            key = wanted
            colorKey = nil
        }
        guard let context else {
            key = nil
            throw MediaError(code: -22, message: "unsupported conversion", call: "sws_init_context")
        }
        let colors = (Int32(bitPattern: src.pointee.colorspace.rawValue), Int32(bitPattern: src.pointee.color_range.rawValue))
        if colorKey?.colorspace != colors.0 || colorKey?.range != colors.1 {
            vigil_sws_set_source_colorspace(context, colors.0, colors.1)
            colorKey = colors
        }
        let dst = image.baseAddress.assumingMemoryBound(to: UInt8.self)
        if let scratch {
            let result = vigil_sws_scale_frame_into(context, scratch.pointer, src, dst, Int32(image.stride),
                                                    Int32(image.width), Int32(image.height), wanted.dstFormat)
            try ff("sws_scale_frame") { result }
        } else {
            let rows = vigil_sws_scale_frame(context, src, dst, Int32(image.stride))
            guard rows == Int32(image.height) else {
                throw MediaError(code: rows < 0 ? rows : -22, message: "converted \(rows) of \(image.height) rows", call: "sws_scale")
            }
        }
    }
}

extension PixelFormat {
    var avPixelFormat: AVPixelFormat {
        switch self {
        case .bgr24: AV_PIX_FMT_BGR24
        case .rgb24: AV_PIX_FMT_RGB24
        case .gray8: AV_PIX_FMT_GRAY8
        }
    }
}
