internal import CFFmpeg
import VigilCore

/// Owner of the `SwsContext` that converts decoded pictures straight into pooled ``FrameImage``s at the
/// size and pixel format a consumer asked for. The context is cached across frames and rebuilt only
/// when the input or output geometry changes (`sws_getCachedContext`).
final class Scaler {
    private var context: OpaquePointer?
    private var colorKey: (colorspace: Int32, range: UInt32)?

    deinit { sws_freeContext(context) }

    /// Converts `frame` into `image`, which must be of the target size and format.
    func convert(_ frame: Frame, into image: FrameImage) throws(MediaError) {
        let src = frame.pointer
        let srcFormat = AVPixelFormat(rawValue: src.pointee.format)
        let sameSize = Int(src.pointee.width) == image.width && Int(src.pointee.height) == image.height
        // Bicubic at the source size is what `ffmpeg -pix_fmt bgr24` does (so pixels match it);
        // bilinear with proper area filtering when scaling down, which is faster and sharp enough.
        let flags = sameSize ? SWS_BICUBIC : SWS_BILINEAR
        let previous = context
        context = sws_getCachedContext(context, src.pointee.width, src.pointee.height, srcFormat,
                                       Int32(image.width), Int32(image.height), image.format.avPixelFormat,
                                       flags, nil, nil, nil)
        guard let context else { throw MediaError(code: -22, message: "unsupported conversion", call: "sws_getCachedContext") }
        let key = (src.pointee.colorspace.rawValue, src.pointee.color_range.rawValue)
        if context != previous || colorKey?.colorspace != Int32(bitPattern: key.0) || colorKey?.range != key.1 {
            vigil_sws_set_source_colorspace(context, Int32(bitPattern: key.0), Int32(bitPattern: key.1))
            colorKey = (Int32(bitPattern: key.0), key.1)
        }
        let rows = vigil_sws_scale_frame(context, src, image.baseAddress.assumingMemoryBound(to: UInt8.self), Int32(image.stride))
        guard rows == Int32(image.height) else {
            throw MediaError(code: rows < 0 ? rows : -22, message: "converted \(rows) of \(image.height) rows", call: "sws_scale")
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
