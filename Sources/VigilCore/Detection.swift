/// One object found by a detector, in source-frame pixels.
public struct Detection: Hashable, Sendable {
    public var box: BoundingBox
    public var score: Double
    public var classID: Int
    public var label: String

    public init(box: BoundingBox, score: Double, classID: Int = 0, label: String = "person") {
        self.box = box; self.score = score; self.classID = classID; self.label = label
    }
}
