/// An axis-aligned box in source-frame pixels: top-left corner, width and height.
public struct BoundingBox: Hashable, Sendable, Codable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.init(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }

    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var area: Double { max(0, width) * max(0, height) }
    public var centerX: Double { x + width / 2 }
    public var centerY: Double { y + height / 2 }
    /// The bottom-centre point: where a standing person touches the ground.
    public var footPoint: (x: Double, y: Double) { (centerX, maxY) }

    public func intersectionArea(_ other: BoundingBox) -> Double {
        let w = min(maxX, other.maxX) - max(x, other.x)
        let h = min(maxY, other.maxY) - max(y, other.y)
        return w > 0 && h > 0 ? w * h : 0
    }

    /// Intersection over union, 0 when either box is empty.
    public func iou(_ other: BoundingBox) -> Double {
        let inter = intersectionArea(other)
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }

    /// The box clipped to `[0, width) x [0, height)`.
    public func clipped(width w: Double, height h: Double) -> BoundingBox {
        BoundingBox(minX: min(max(x, 0), w), minY: min(max(y, 0), h),
                    maxX: min(max(maxX, 0), w), maxY: min(max(maxY, 0), h))
    }

    public func scaled(x sx: Double, y sy: Double) -> BoundingBox {
        BoundingBox(x: x * sx, y: y * sy, width: width * sx, height: height * sy)
    }
}
