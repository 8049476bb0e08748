import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VigilCore

/// Writes the pictures that prove an alert: the frame with the object's box, the zone or line and the
/// message drawn on a copy of it, and a crop of the object. Files are written under a temporary name and
/// renamed, so a reader never sees half a picture; the same alert id always gives the same names, so a
/// rerun replaces them instead of adding more.
struct EvidenceWriter {
    let folder: String
    let renderer: any FrameRenderer
    let crop: Bool
    let quality: Int

    static let boxColor = RGB.red
    static let shapeColor = RGB.yellow

    /// Paths of the files written for `event` (none when the frame has no pixels).
    func write(_ event: Event, subject: EvidenceSubject, frame: AnnotatedFrame) throws -> [String] {
        guard let source = frame.image, source.format == .bgr24, let id = event.alertID else { return [] }
        let scale = frame.imageToSourceScale
        let image = Self.copy(source)
        var drawings: [Drawing] = []
        if subject.polygon.count >= 2 {
            drawings.append(.polyline(subject.polygon.map { (x: $0.x / scale.x, y: $0.y / scale.y) }, closed: subject.closed,
                                      color: Self.shapeColor, thickness: 2))
        }
        let box = subject.box.map {
            BoundingBox(x: $0.x / scale.x, y: $0.y / scale.y, width: $0.width / scale.x, height: $0.height / scale.y)
        }
        if let box { drawings.append(.box(box, color: Self.boxColor, thickness: 2)) }
        drawings.append(.text(event.message, x: 6, y: 18, scale: max(0.4, Double(image.width) / 1600), color: .white))
        try renderer.draw(drawings, on: image)

        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let name = id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
        var paths = [folder + "/" + String(name) + ".jpg"]
        try Self.writeAtomically(renderer.jpeg(image, crop: nil, quality: quality), to: paths[0])
        if crop, let box {
            let margin = 0.1
            let padded = BoundingBox(x: box.x - box.width * margin, y: box.y - box.height * margin,
                                     width: box.width * (1 + 2 * margin), height: box.height * (1 + 2 * margin))
                .clipped(width: Double(source.width), height: Double(source.height))
            if padded.width >= 2, padded.height >= 2 {
                let path = folder + "/" + String(name) + "_crop.jpg"
                try Self.writeAtomically(renderer.jpeg(source, crop: padded, quality: quality), to: path)
                paths.append(path)
            }
        }
        return paths
    }

    /// A private copy of the frame's pixels: the frame itself may be shared with other consumers.
    static func copy(_ image: FrameImage) -> FrameImage {
        let copy = FrameImage(width: image.width, height: image.height, format: image.format)
        let rowBytes = image.width * image.format.bytesPerPixel
        for row in 0..<image.height {
            (copy.baseAddress + row * copy.stride).copyMemory(from: image.baseAddress + row * image.stride, byteCount: rowBytes)
        }
        return copy
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".part"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw VigilError(.io, "cannot write evidence; check that the folder is writable", subject: temporary)
        }
        // rename(2) replaces the target in one step.
        guard rename(temporary, path) == 0 else {
            throw VigilError(.io, "cannot move evidence into place: \(String(cString: strerror(errno)))", subject: path)
        }
    }
}
