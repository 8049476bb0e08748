import VigilCore

/// The running `synthetic` source.
final class SyntheticSource: Stage {
    let spec: SyntheticSourceSpec
    let context: StageContext
    let pool = FramePool()

    init(spec: SyntheticSourceSpec, context: StageContext) { self.spec = spec; self.context = context }

    func run(input: StageInput, output: StageOutput) async throws {
        if spec.frames > 0 { context.progress.expectFrames(spec.frames, source: context.id) }
        var index = 0
        while spec.frames == 0 || index < spec.frames {
            if context.shutdown.isRequested { return }
            if let failAfter = spec.failAfter, index >= failAfter {
                throw VigilError(.mediaDecode, "synthetic failure after \(failAfter) frames", subject: context.id)
            }
            let info = FrameInfo(sourceID: context.id, index: index,
                                 time: MediaTime(seconds: spec.startSeconds + Double(index) / spec.fps),
                                 sourceWidth: spec.width, sourceHeight: spec.height)
            var image: FrameImage?
            if let requirement = context.frameRequirement {
                let size = requirement.outputSize(sourceWidth: spec.width, sourceHeight: spec.height)
                image = pool.makeImage(width: size.width, height: size.height, format: requirement.pixelFormat)
            }
            try await output.send(.frame(AnnotatedFrame(info: info, image: image)))
            index += 1
            if let every = spec.eventEvery, index % every == 0 {
                try await output.send(.event(Event(time: info.time, sourceID: context.id, rule: context.id, kind: "tick",
                                                   message: "after frame \(index - 1)")))
            }
            if spec.pace > 0 { try await Task.sleep(for: .seconds(spec.pace)) }
        }
    }
}
