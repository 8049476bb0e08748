internal import CVigilOpenCV
public import VigilCore

/// OpenCV's built-in HOG + linear SVM people detector (Dalal-Triggs); needs no model file.
public final class HOGDetector: @unchecked Sendable {
    private let handle: OpaquePointer
    /// SVM distance a window must exceed.
    public var hitThreshold: Double
    /// Enlarge the image first: the detector's window is 64x128, people smaller than that are missed.
    public var upscale: Double
    public var label: String

    public init(hitThreshold: Double = 0, upscale: Double = 1, label: String = "person") throws(VigilError) {
        self.hitThreshold = hitThreshold
        self.upscale = upscale
        self.label = label
        var created: OpaquePointer?
        try opencvCall("creating the HOG detector", subject: "hog") { vcv_hog_create(&created, $0) }
        handle = created!
    }

    deinit { vcv_hog_destroy(handle) }

    /// People in the image's pixels.
    public func detect(in image: FrameImage, scale: (x: Double, y: Double) = (1, 1)) throws(VigilError) -> [Detection] {
        var boxes: UnsafePointer<vcv_box>?
        var count: Int32 = 0
        try opencvCall("HOG detection", subject: "hog", code: .stageFailed) { error in
            withBridgeImage(image) { vcv_hog_detect(handle, $0, hitThreshold, upscale, &boxes, &count, error) }
        }
        return copyBoxes(boxes, count).map { $0.detection(scale: scale, label: label) }
    }
}
