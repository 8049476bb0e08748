import VigilCore
import VigilExport
import VigilIngest
import VigilMedia
import VigilPipeline
import VigilRules
import VigilStore
import VigilTracking
import VigilVision
import VigilWebhook

/// Every stage kind this build knows, by `type:` name. The composition root: the runtime itself
/// names no kind.
enum StageKinds {
    static let all: [any StageSpec.Type] = [
        // sources
        VideoSourceSpec.self,
        PushSourceSpec.self,
        // transforms
        DetectSpec.self,
        TrackSpec.self,
        ReidentifySpec.self,
        AlertSpec.self,
        AggregateSpec.self,
        // sinks
        JSONLinesSinkSpec.self,
        ExportSinkSpec.self,
        OverlaySinkSpec.self,
        PostgresSinkSpec.self,
        PreviewSinkSpec.self,
        WebhookSinkSpec.self,
    ]

    static var registry: StageRegistry { StageRegistry(all) }

    /// Sources whose input is a push camera (`push:`, as a processing task over such a camera gives it)
    /// become `push` sources bound to that camera, whatever kind the pipeline file names: any one-source
    /// pipeline runs on frames that clients push.
    /// Returns the cameras named in the inputs (`push:12`), for the run to bind its results to.
    @discardableResult
    static func substitutePushInputs(in spec: inout PipelineSpec, overrides: [String: String]) -> [String: Int] {
        var cameras: [String: Int] = [:]
        for index in spec.components.indices where spec.components[index].role == .source {
            let id = spec.components[index].id
            guard PushSourceSpec.isPushInput(overrides[id]), spec.components[index].typeName != PushSourceSpec.typeName else { continue }
            let camera = overrides[id].flatMap { Int($0.dropFirst(PushSourceSpec.inputScheme.count)) }
            spec.components[index].spec = PushSourceSpec(camera: camera)
            spec.components[index].typeName = PushSourceSpec.typeName
            if let camera { cameras[id] = camera }
        }
        return cameras
    }
}
