internal import CVigilOpenCV
public import VigilCore

/// How a network's output tensor is laid out (see the bridge header for the exact shapes).
public enum YOLOLayout: String, Sendable, CaseIterable {
    /// Chosen from the framework and output shape.
    case auto
    /// OpenCV's Darknet region layers: YOLOv3/v4, tiny, Yolo-Fastest.
    case darknet
    /// Ultralytics YOLOv5 ONNX: `[1, N, 5 + C]`.
    case yolov5
    /// Ultralytics YOLOv8 / YOLO11 ONNX: `[1, 4 + C, N]`.
    case yolov8

    var bridgeValue: Int32 {
        switch self {
        case .auto: Int32(VCV_DECODE_AUTO.rawValue)
        case .darknet: Int32(VCV_DECODE_DARKNET.rawValue)
        case .yolov5: Int32(VCV_DECODE_YOLOV5.rawValue)
        case .yolov8: Int32(VCV_DECODE_YOLOV8.rawValue)
        }
    }

    init(bridgeValue: Int32) {
        self = switch bridgeValue {
        case Int32(VCV_DECODE_DARKNET.rawValue): .darknet
        case Int32(VCV_DECODE_YOLOV5.rawValue): .yolov5
        case Int32(VCV_DECODE_YOLOV8.rawValue): .yolov8
        default: .auto
        }
    }
}

/// The file format of a model.
public enum ModelFormat: String, Sendable, CaseIterable {
    /// `.cfg` + `.weights`.
    case darknet
    case onnx
}

/// Everything needed to load a network.
public struct DNNConfiguration: Sendable {
    public var format: ModelFormat
    /// `.weights` or `.onnx`.
    public var modelPath: String
    /// `.cfg` for Darknet.
    public var configPath: String?
    public var inputWidth: Int
    public var inputHeight: Int
    /// Keep the aspect ratio and pad (Ultralytics); `false` stretches to the input size (Darknet).
    public var letterbox: Bool
    public var layout: YOLOLayout
    /// Class names by class id; ids without a name are reported as `class<N>`.
    public var classNames: [String]
    /// A name for errors (the model id).
    public var name: String

    public init(format: ModelFormat, modelPath: String, configPath: String? = nil, inputWidth: Int, inputHeight: Int,
                letterbox: Bool, layout: YOLOLayout = .auto, classNames: [String] = [], name: String? = nil) {
        self.format = format; self.modelPath = modelPath; self.configPath = configPath
        self.inputWidth = inputWidth; self.inputHeight = inputHeight; self.letterbox = letterbox
        self.layout = layout; self.classNames = classNames; self.name = name ?? modelPath
    }
}

/// An OpenCV DNN YOLO detector. Owns its network handle. Work is split in three steps so the detect stage
/// can overlap them: ``prepare(_:slot:)`` and ``decode(slot:scale:)`` on the stage's task, ``forward(slot:)``
/// on the inference thread; each slot is touched by one step at a time.
public final class DNNDetector: @unchecked Sendable {
    private let handle: OpaquePointer
    public let configuration: DNNConfiguration
    public let slotCount: Int
    /// Detections under this score are dropped.
    public var confidence: Double
    /// IoU above which a lower-scored box of the same class is suppressed; 0 disables NMS.
    public var nmsThreshold: Double
    /// Only these class ids are kept; `nil` keeps all.
    public private(set) var allowedClasses: [Int32]?

    public init(_ configuration: DNNConfiguration, confidence: Double = 0.35, nmsThreshold: Double = 0.45,
                slots: Int = 3) throws(VigilError) {
        self.configuration = configuration
        self.slotCount = slots
        self.confidence = confidence
        self.nmsThreshold = nmsThreshold
        var options = vcv_dnn_options(
            framework: Int32(configuration.format == .darknet ? VCV_DNN_DARKNET.rawValue : VCV_DNN_ONNX.rawValue),
            decoder: configuration.layout.bridgeValue,
            input_width: Int32(configuration.inputWidth), input_height: Int32(configuration.inputHeight),
            letterbox: configuration.letterbox ? 1 : 0, slots: Int32(slots))
        var created: OpaquePointer?
        try opencvCall("loading model '\(configuration.name)' (\(configuration.modelPath))", subject: configuration.name) { error in
            vcv_dnn_create(configuration.modelPath, configuration.configPath, &options, &created, error)
        }
        guard let created else { throw VigilError(.model, "loading model returned nothing", subject: configuration.name) }
        handle = created
    }

    deinit { vcv_dnn_destroy(handle) }

    /// Number of classes the network scores.
    public var classCount: Int { Int(vcv_dnn_class_count(handle)) }
    /// The output layout in use.
    public var layout: YOLOLayout { YOLOLayout(bridgeValue: vcv_dnn_decoder(handle)) }

    public func label(for classID: Int) -> String {
        classID < configuration.classNames.count ? configuration.classNames[classID] : "class\(classID)"
    }

    /// Keeps only the named classes. Throws when a name is not among the model's class names.
    public func restrict(toClasses names: [String]) throws(VigilError) {
        var ids: [Int32] = []
        for name in names {
            guard let id = configuration.classNames.firstIndex(of: name) else {
                var message = "model '\(configuration.name)' has no class '\(name)'"
                if let close = Suggestion.closest(to: name, among: configuration.classNames) {
                    message += "; did you mean '\(close)'?"
                }
                throw VigilError(.invalidPipeline, message, subject: configuration.name)
            }
            ids.append(Int32(id))
        }
        allowedClasses = ids
    }

    public func prepare(_ image: FrameImage, slot: Int) throws(VigilError) {
        try opencvCall("preparing a frame", subject: configuration.name, code: .stageFailed) { error in
            withBridgeImage(image) { vcv_dnn_prepare(handle, Int32(slot), $0, error) }
        }
    }

    public func forward(slot: Int) throws(VigilError) {
        try opencvCall("inference", subject: configuration.name, code: .stageFailed) { error in
            vcv_dnn_forward(handle, Int32(slot), error)
        }
    }

    /// Boxes of `slot`, multiplied by `scale` (image to source pixels).
    public func decode(slot: Int, scale: (x: Double, y: Double) = (1, 1)) throws(VigilError) -> [Detection] {
        var boxes: UnsafePointer<vcv_box>?
        var count: Int32 = 0
        let allowed = allowedClasses
        try opencvCall("decoding outputs", subject: configuration.name, code: .stageFailed) { error in
            if let allowed {
                allowed.withUnsafeBufferPointer {
                    vcv_dnn_decode(handle, Int32(slot), Float(confidence), Float(nmsThreshold), $0.baseAddress,
                                   Int32($0.count), &boxes, &count, error)
                }
            } else {
                vcv_dnn_decode(handle, Int32(slot), Float(confidence), Float(nmsThreshold), nil, 0, &boxes, &count, error)
            }
        }
        return copyBoxes(boxes, count).map { $0.detection(scale: scale, label: label(for: Int($0.class_id))) }
    }

    /// All three steps at once, in the image's pixels.
    public func detect(in image: FrameImage) throws(VigilError) -> [Detection] {
        try prepare(image, slot: 0)
        try forward(slot: 0)
        return try decode(slot: 0)
    }
}
