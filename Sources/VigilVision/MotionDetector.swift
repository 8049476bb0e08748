internal import CVigilOpenCV
public import VigilCore

/// Settings of the background-subtraction motion detector.
public struct MotionConfiguration: Sendable {
    /// Frames of background memory.
    public var history: Int
    public var varianceThreshold: Double
    /// Frames are reduced to at most this width before subtraction.
    public var workWidth: Int
    /// Smallest moving region kept, in source pixels.
    public var minArea: Double
    /// Regions closer than this (source pixels) are merged into one box.
    public var mergeDistance: Double
    public var label: String

    public init(history: Int = 500, varianceThreshold: Double = 16, workWidth: Int = 320, minArea: Double = 400,
                mergeDistance: Double = 8, label: String = "motion") {
        self.history = history; self.varianceThreshold = varianceThreshold; self.workWidth = workWidth
        self.minArea = minArea; self.mergeDistance = mergeDistance; self.label = label
    }
}

/// MOG2 background subtraction with morphological clean-up, a minimum area and merged boxes. Keeps state
/// between frames, so use one per camera. The first frame seeds the background and reports nothing.
public final class MotionDetector: @unchecked Sendable {
    private var handle: OpaquePointer?
    public let configuration: MotionConfiguration

    public init(_ configuration: MotionConfiguration) { self.configuration = configuration }

    deinit { if let handle { vcv_motion_destroy(handle) } }

    /// Moving regions in source pixels; `scale` converts image pixels to source pixels.
    public func detect(in image: FrameImage, scale: (x: Double, y: Double) = (1, 1)) throws(VigilError) -> [Detection] {
        if handle == nil {
            // Areas and distances are given in source pixels; the bridge works in image pixels.
            let area = max(0, configuration.minArea / (scale.x * scale.y))
            var params = vcv_motion_params(history: Int32(configuration.history),
                                           var_threshold: configuration.varianceThreshold,
                                           work_width: Int32(configuration.workWidth), min_area: area,
                                           merge_distance: configuration.mergeDistance / max(scale.x, scale.y))
            var created: OpaquePointer?
            try opencvCall("creating the motion detector", subject: "motion", code: .invalidPipeline) {
                vcv_motion_create(&params, &created, $0)
            }
            handle = created
        }
        var boxes: UnsafePointer<vcv_box>?
        var count: Int32 = 0
        try opencvCall("motion detection", subject: "motion", code: .stageFailed) { error in
            withBridgeImage(image) { vcv_motion_detect(handle, $0, &boxes, &count, error) }
        }
        return copyBoxes(boxes, count).map { $0.detection(scale: scale, label: configuration.label) }
    }
}
