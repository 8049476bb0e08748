internal import CVigilOpenCV
public import VigilCore

/// The one funnel for bridge calls: a failing status becomes a ``VigilError`` that says what was being
/// done, with OpenCV's own message, about `subject` (a model id, a file).
func opencvCall(_ what: String, subject: String?, code: VigilError.Code = .model,
                _ body: (UnsafeMutablePointer<vcv_error>) -> vcv_status) throws(VigilError) {
    var error = vcv_error()
    let status = body(&error)
    guard status != VCV_OK else { return }
    let detail = withUnsafeBytes(of: &error.message) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    let kind: String = switch status {
    case VCV_ERR_IO: "cannot read a file"
    case VCV_ERR_MODEL_MISMATCH: "model files do not fit together"
    case VCV_ERR_OPENCV: "OpenCV refused the input"
    case VCV_ERR_INVALID_ARGUMENT: "invalid argument"
    default: "internal error"
    }
    throw VigilError(code, "\(what) failed: \(kind): \(detail)", subject: subject)
}

/// Borrowed view of a frame for the bridge; valid during `body` only.
func withBridgeImage<R>(_ image: FrameImage, _ body: (UnsafePointer<vcv_image>) throws -> R) rethrows -> R {
    let format: vcv_format = switch image.format {
    case .bgr24: VCV_FORMAT_BGR24
    case .rgb24: VCV_FORMAT_RGB24
    case .gray8: VCV_FORMAT_GRAY8
    }
    var view = vcv_image(data: UnsafePointer(image.baseAddress.assumingMemoryBound(to: UInt8.self)),
                         width: Int32(image.width), height: Int32(image.height), stride: Int32(image.stride),
                         format: Int32(format.rawValue))
    return try withExtendedLifetime(image) { try body(&view) }
}

extension vcv_box {
    /// The box as a detection in source pixels, given the image-to-source factors.
    func detection(scale: (x: Double, y: Double), label: String) -> Detection {
        Detection(box: BoundingBox(x: Double(x) * scale.x, y: Double(y) * scale.y,
                                   width: Double(width) * scale.x, height: Double(height) * scale.y),
                  score: Double(score), classID: Int(class_id), label: label)
    }
}

/// Copies `count` boxes out of bridge-owned memory.
func copyBoxes(_ boxes: UnsafePointer<vcv_box>?, _ count: Int32) -> [vcv_box] {
    guard let boxes, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: boxes, count: Int(count)))
}

/// Process-wide OpenCV settings.
public enum OpenCVRuntime {
    /// Threads for OpenCV's parallel loops, inference included; `0` means one per core.
    public static func setThreadCount(_ threads: Int) { vcv_set_num_threads(Int32(threads)) }
    public static var threadCount: Int { Int(vcv_get_num_threads()) }

    /// SHA-256 of a file, lowercase hex.
    public static func sha256(ofFile path: String) throws(VigilError) -> String {
        var hex = [CChar](repeating: 0, count: 65)
        try opencvCall("hashing", subject: path, code: .io) { error in
            hex.withUnsafeMutableBufferPointer { vcv_sha256_file(path, $0.baseAddress!, error) }
        }
        return String(decoding: hex.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
