import Foundation
import VigilCore

/// The running `alert` stage: the ``AlertEngine`` over its input frames, evidence written at each
/// alert's start, events sent before the frame they were decided on.
final class AlertStage: Stage {
    private var engine: AlertEngine
    private let evidence: EvidenceWriter?
    /// Evidence paths by alert id, carried on the alert's later events too.
    private var evidencePaths: [String: [String]] = [:]
    private let clips: AlertClips?

    init(spec: AlertSpec, context: StageContext) throws {
        var configuration = spec.configuration
        configuration.timeOrigins = context.runPolicy.timeOrigins.mapValues(\.timeIntervalSince1970)
        engine = try AlertEngine(configuration)
        if let settings = spec.evidence {
            guard let renderer = context.renderer else {
                throw VigilError(.invalidPipeline, "the alert stage writes evidence but this run has no renderer; "
                                 + "set 'evidence: false' or run it through `vigil run`", subject: context.id)
            }
            let folder = context.resolvePath(settings.path) + "/" + context.pipelineName
            evidence = EvidenceWriter(folder: folder, renderer: renderer, crop: settings.crop, quality: settings.quality)
        } else {
            evidence = nil
        }
        if let settings = spec.clip {
            guard let maker = context.clipMaker else {
                throw VigilError(.invalidPipeline, "the alert stage cuts clips but this run has no clip maker; "
                                 + "remove 'clip' or run it through `vigil run`", subject: context.id)
            }
            clips = AlertClips(settings: settings, maker: maker, folder: context.resolvePath(settings.path) + "/" + context.pipelineName,
                               sources: context.runPolicy.inputs, logger: context.logger)
        } else {
            clips = nil
        }
    }

    func run(input: StageInput, output: StageOutput) async throws {
        for try await message in input {
            guard case .frame(var frame) = message else {
                try await output.send(message)
                continue
            }
            let decided = engine.process(&frame)
            for item in decided { try await output.send(.event(withEvidence(item, frame: frame))) }
            try await output.send(.frame(frame))
        }
        for item in engine.finish() { try await output.send(.event(withEvidence(item, frame: nil))) }
    }

    private func withEvidence(_ item: AlertOutput, frame: AnnotatedFrame?) throws -> Event {
        var event = item.event
        guard let id = event.alertID else { return event }
        if event.phase == .start, let evidence, let frame, let subject = item.evidence {
            evidencePaths[id] = try evidence.write(event, subject: subject, frame: frame)
        }
        if event.phase == .start, let clips, let clip = try clips.cut(for: event) {
            evidencePaths[id, default: []].append(clip.path)
            event.attributes["clip_requested_start"] = String(clip.requestedStart)
            event.attributes["clip_actual_start"] = String(clip.actualStart)
        }
        event.evidence = evidencePaths[id] ?? []
        if event.phase == .end { evidencePaths[id] = nil }
        return event
    }
}
