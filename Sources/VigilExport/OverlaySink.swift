import Foundation
import VigilCore
import VigilMedia

/// The running `overlay` sink. Draws in place on each frame's picture when this sink holds the only
/// reference to it; a picture other consumers still read is first copied into one scratch picture,
/// reused for every frame.
final class OverlaySink: Stage {
    private let path: String
    private let settings: VideoWriter.Settings
    private var painter: OverlayPainter
    private let renderer: any FrameRenderer
    private var active: [String: (message: String, until: Double)] = [:]
    private var scratch: FrameImage?
    private let origin = Date()

    init(path: String, settings: VideoWriter.Settings, painter: OverlayPainter, renderer: any FrameRenderer) {
        self.path = path; self.settings = settings; self.painter = painter; self.renderer = renderer
    }

    func run(input: StageInput, output: StageOutput) async throws {
        let pending = try PendingPath(path: path)
        var writer: VideoWriter?
        var start: Double?
        for try await message in input {
            switch message {
            case .event(let event):
                guard let id = event.alertID else { continue }
                let hold = event.phase == .end ? event.time.seconds + 1 : .infinity
                active[id] = (event.message, max(hold, event.time.seconds + 2))
            case .frame(let frame):
                guard var image = frame.image else { continue }
                let time = frame.info.time.seconds
                if start == nil { start = time }
                if writer == nil {
                    writer = try VideoWriter(path: pending.temporaryPath, width: image.width, height: image.height,
                                             frameRate: nil, settings: settings)
                }
                if !isKnownUniquelyReferenced(&image) {
                    if scratch == nil || scratch!.width != image.width || scratch!.height != image.height {
                        scratch = FrameImage(width: image.width, height: image.height, format: .bgr24)
                    }
                    let target = scratch!
                    image.withUnsafeBytes { src in
                        for row in 0..<image.height {
                            (target.baseAddress + row * target.stride).copyMemory(from: src.baseAddress! + row * image.stride,
                                                                                  byteCount: image.width * 3)
                        }
                    }
                    image = target
                }
                active = active.filter { $0.value.until > time }
                let scale = frame.imageToSourceScale
                let objects = frame.tracks.map { t in
                    OverlayObject(trackID: t.trackID, globalID: t.globalID, label: t.label,
                                  box: BoundingBox(x: t.box.x / scale.x, y: t.box.y / scale.y,
                                                   width: t.box.width / scale.x, height: t.box.height / scale.y))
                }
                let stamp = OverlayStamp.text(frame.info.captureTime ?? origin.addingTimeInterval(time))
                let drawings = painter.drawings(objects: objects, time: time, stamp: stamp,
                                                alerts: active.sorted { $0.key < $1.key }.map(\.value.message),
                                                width: image.width, height: image.height)
                try renderer.draw(drawings, on: image)
                try writer!.write(image, time: time - start!)
            case .row:
                continue
            }
        }
        guard let writer else { return }   // no frames: no file
        try writer.finish()
        try pending.commit()
    }
}
