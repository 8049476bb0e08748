public import VigilCore
import VigilStore

/// The `push` source: frames that clients push — a phone or a browser as a camera — through the API
/// (`POST /api/v1/ingest/{camera}`, or `{"type": "frame"}` messages on `/ws`). The server stores each
/// JPEG in PostgreSQL (`pushed_frames`) and notifies; this source, on whichever worker runs the camera,
/// reads them in order, decodes them and emits frames timed by the client's capture time (else the
/// server's receipt time). A frame that does not decode is counted and skipped: a bad frame never ends
/// the pipeline.
///
/// ```yaml
/// sources:
///   phone: {type: push, camera: 12, idle_timeout: 30s}
/// ```
///
/// A processing task over a camera whose URL is `push:` runs any one-source pipeline with its source
/// replaced by this one, bound to that camera.
public struct PushSourceSpec: StageSpec {
    public static let typeName = "push"
    public static let role = StageRole.source
    public static let summary = "frames pushed by clients through the API (JPEG), read from PostgreSQL"

    /// The camera id (a task binds it; needed only when run by hand).
    public var camera: Int?
    /// Connection string (default: `$DATABASE_URL`, else the embedded server).
    public var url: String?
    /// Frames received up to this long before the source started are still taken (a client may start
    /// pushing before a worker picks the task up).
    public var backlog = 10.0
    /// End the stream after this long without a frame; nil: run until stopped.
    public var idleTimeout: Double?

    public init(camera: Int?, url: String? = nil) {
        self.camera = camera
        self.url = url
    }

    public init(config: ConfigReader) {
        camera = config.int("camera", in: 1...Int(Int32.max))
        url = config.string("url")
        backlog = config.duration("backlog") ?? backlog
        idleTimeout = config.duration("idle_timeout")
        config.finish()
    }

    public var inputPorts: Set<PortType> { [] }
    public var outputPort: PortType? { .frames }

    /// The URL of an input that is fed by pushed frames (a camera whose URL is this, or starts with it).
    public static let inputScheme = PushedFrames.cameraURLPrefix

    public static func isPushInput(_ input: String?) -> Bool { input?.hasPrefix(inputScheme) ?? false }

    public func preflight(context: StageContext) async throws {
        guard camera != nil || context.runPolicy.cameras[context.id] != nil else {
            throw VigilError(.invalidArgument, "a push source needs its camera: `camera: <id>`, or a processing task over a push camera",
                             subject: context.id)
        }
        let url = try await StoreLocation.resolve(url, logger: context.logger)
        try await withDatabase(url, logger: context.logger, maxConnections: 1) { db in try await Migrator(database: db).requireCurrent() }
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        guard let camera = context.runPolicy.cameras[context.id] ?? camera else {
            throw VigilError(.invalidArgument, "a push source needs its camera", subject: context.id)
        }
        return PushSource(spec: self, camera: camera, context: context)
    }
}
