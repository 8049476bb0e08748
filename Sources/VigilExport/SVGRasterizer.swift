internal import CRsvg
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// SVG to PNG with librsvg and cairo (the C side allocates and frees everything within one call).
enum SVGRasterizer {
    static func writePNG(svg: String, width: Int, height: Int, to path: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = svg.utf8CString.withUnsafeBufferPointer { text in
            vigil_svg_to_png(text.baseAddress, text.count - 1, Int32(width), Int32(height), path, &message)
        }
        if status != 0 {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            free(message)
            throw VigilError(.io, "cannot rasterise a chart with librsvg: \(text)", subject: path)
        }
    }
}
