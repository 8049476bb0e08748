internal import CVigilOpenCV
import Foundation
public import VigilCore

/// One Haar or LBP cascade and how to run it.
public struct CascadeConfiguration: Sendable {
    /// A path, or a name from Debian's `opencv-data` (`frontalface_default`, `eye`, `lbpcascade_frontalface`...).
    public var cascade: String
    public var label: String
    public var scaleFactor: Double
    public var minNeighbors: Int
    public var minSize: Int
    public var maxSize: Int

    public init(cascade: String, label: String, scaleFactor: Double = 1.05, minNeighbors: Int = 2, minSize: Int = 0,
                maxSize: Int = 0) {
        self.cascade = cascade; self.label = label; self.scaleFactor = scaleFactor
        self.minNeighbors = minNeighbors; self.minSize = minSize; self.maxSize = maxSize
    }

    /// Folders searched for cascade names, Debian's first.
    public static let searchDirectories = ["/usr/share/opencv4/haarcascades", "/usr/share/opencv4/lbpcascades",
                                           "/usr/share/opencv/haarcascades", "/usr/share/opencv/lbpcascades"]

    /// The file for `cascade`: an existing path as is, else `NAME`, `haarcascade_NAME` or `lbpcascade_NAME`
    /// (`.xml` optional) in ``searchDirectories``.
    public func resolvedPath() throws(VigilError) -> String {
        let manager = FileManager.default
        if cascade.contains("/") {
            guard manager.fileExists(atPath: cascade) else {
                throw VigilError(.model, "cascade file not found; give an existing path or a name such as frontalface_default",
                                 subject: cascade)
            }
            return cascade
        }
        let base = cascade.hasSuffix(".xml") ? String(cascade.dropLast(4)) : cascade
        for directory in Self.searchDirectories {
            for name in [base, "haarcascade_" + base, "lbpcascade_" + base] {
                let path = directory + "/" + name + ".xml"
                if manager.fileExists(atPath: path) { return path }
            }
        }
        throw VigilError(.model, "no cascade named '\(cascade)' in \(Self.searchDirectories.joined(separator: ", ")); "
                         + "install Debian's opencv-data or give a path", subject: cascade)
    }
}

/// A cascade with optional child cascades searched only inside its boxes (eyes inside faces), and
/// in-plane rotation retries for tilted heads.
public final class CascadeDetector: @unchecked Sendable {
    private let parent: OpaquePointer
    private let children: [OpaquePointer]
    public let configuration: CascadeConfiguration
    public let childConfigurations: [CascadeConfiguration]
    /// Angles (degrees) tried in turn when the upright image shows nothing.
    public var rotations: [Double]

    public init(_ configuration: CascadeConfiguration, children: [CascadeConfiguration] = [],
                rotations: [Double] = []) throws(VigilError) {
        self.configuration = configuration
        self.childConfigurations = children
        self.rotations = rotations
        parent = try Self.load(configuration)
        var loaded: [OpaquePointer] = []
        do {
            for child in children { loaded.append(try Self.load(child)) }
        } catch {
            loaded.forEach { vcv_cascade_destroy($0) }
            vcv_cascade_destroy(parent)
            throw error
        }
        self.children = loaded
    }

    private static func load(_ configuration: CascadeConfiguration) throws(VigilError) -> OpaquePointer {
        let path = try configuration.resolvedPath()
        var params = vcv_cascade_params(scale_factor: configuration.scaleFactor,
                                        min_neighbors: Int32(configuration.minNeighbors),
                                        min_size: Int32(configuration.minSize), max_size: Int32(configuration.maxSize))
        var created: OpaquePointer?
        try opencvCall("loading cascade '\(configuration.cascade)'", subject: path) {
            vcv_cascade_create(path, &params, &created, $0)
        }
        return created!
    }

    deinit {
        children.forEach { vcv_cascade_destroy($0) }
        vcv_cascade_destroy(parent)
    }

    /// Parent boxes (class 0) and child boxes (class i + 1), multiplied by `scale`.
    public func detect(in image: FrameImage, scale: (x: Double, y: Double) = (1, 1)) throws(VigilError) -> [Detection] {
        var boxes: UnsafePointer<vcv_box>?
        var count: Int32 = 0
        let children: [OpaquePointer?] = self.children
        try opencvCall("cascade detection", subject: configuration.cascade, code: .stageFailed) { error in
            withBridgeImage(image) { view in
                children.withUnsafeBufferPointer { kids in
                    rotations.withUnsafeBufferPointer { angles in
                        vcv_cascade_detect(parent, kids.baseAddress, Int32(kids.count), view, angles.baseAddress,
                                           Int32(angles.count), &boxes, &count, error)
                    }
                }
            }
        }
        return copyBoxes(boxes, count).map { box in
            let id = Int(box.class_id)
            let label = id == 0 ? configuration.label : childConfigurations[id - 1].label
            return box.detection(scale: scale, label: label)
        }
    }
}
