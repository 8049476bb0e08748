internal import CVigilOpenCV
public import VigilCore

/// ``FrameRenderer`` on OpenCV: rectangles, polylines and Hershey text drawn in place on BGR24 frames,
/// JPEG through `imencode`. The buffer OpenCV's encoder fills is copied out and freed at once.
public struct OpenCVRenderer: FrameRenderer {
    public init() {}

    public func draw(_ drawings: [Drawing], on image: FrameImage) throws {
        guard image.format == .bgr24 else {
            throw VigilError(.invalidArgument, "drawing needs BGR24 frames, got \(image.format.rawValue)")
        }
        try withBridgeImage(image) { view in
            for drawing in drawings {
                switch drawing {
                case .box(let b, let color, let thickness):
                    try opencvCall("drawing a box", subject: nil, code: .invalidArgument) {
                        vcv_draw_rect(view, Float(b.x), Float(b.y), Float(b.width), Float(b.height), color.bridge,
                                      Int32(thickness), $0)
                    }
                case .polyline(let points, let closed, let color, let thickness):
                    guard points.count >= 2 else { continue }
                    let flat = points.flatMap { [Float($0.x), Float($0.y)] }
                    try opencvCall("drawing a polyline", subject: nil, code: .invalidArgument) { error in
                        flat.withUnsafeBufferPointer {
                            vcv_draw_polyline(view, $0.baseAddress, Int32(points.count), closed ? 1 : 0, color.bridge,
                                              Int32(thickness), error)
                        }
                    }
                case .text(let text, let x, let y, let scale, let color):
                    try opencvCall("drawing text", subject: nil, code: .invalidArgument) {
                        vcv_draw_text(view, text, Float(x), Float(y), scale, color.bridge, $0)
                    }
                }
            }
        }
    }

    public func jpeg(_ image: FrameImage, crop: BoundingBox?, quality: Int) throws -> [UInt8] {
        try withBridgeImage(image) { view in
            var out: UnsafeMutablePointer<UInt8>?
            var size = 0
            let rect = crop.map { [Float($0.x), Float($0.y), Float($0.width), Float($0.height)] }
            try opencvCall("encoding a JPEG", subject: nil, code: .io) { error in
                if let rect {
                    rect.withUnsafeBufferPointer { vcv_encode_jpeg(view, $0.baseAddress, Int32(quality), &out, &size, error) }
                } else {
                    vcv_encode_jpeg(view, nil, Int32(quality), &out, &size, error)
                }
            }
            defer { vcv_buffer_free(out) }
            guard let out else { return [] }
            return Array(UnsafeBufferPointer(start: out, count: size))
        }
    }
}

extension RGB {
    fileprivate var bridge: vcv_color { vcv_color(r: r, g: g, b: b) }
}
