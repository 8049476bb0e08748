import VigilCore
import VigilExport
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
}
