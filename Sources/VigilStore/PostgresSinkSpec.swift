public import VigilCore
public import Logging
public import Foundation

/// `type: postgres` — writes tracks, detections (optional), events and aggregate rows to PostgreSQL in
/// batches, each committed exactly once together with its checkpoint.
///
/// ```yaml
/// sinks:
///   db:
///     type: postgres
///     inputs: [track, alerts]
///     url: postgresql://vigil@localhost/vigil   # default: $DATABASE_URL, else the embedded server
///     batch_rows: 5000
///     batch_age: 500ms
///     detections: false
///     retention: 30d
/// ```
public struct PostgresSinkSpec: StageSpec {
    public static let typeName = "postgres"
    public static let role = StageRole.sink
    public static let summary = "write tracks, events and aggregates to PostgreSQL (exactly once, resumable)"

    /// Connection string; `nil` for `$DATABASE_URL`, else the embedded server under `.vigil/postgres`.
    public var url: String?
    public var batchRows = 5000
    public var batchAge = 0.5
    public var maxBufferedRows = 200_000
    public var detections = false
    /// Wall-clock time of media time 0 for sources without capture times; `nil` for the run's start.
    public var timeOrigin: Date?
    /// How long to keep retrying while the database is unreachable before failing the run.
    public var retryFor = 600.0
    /// Apply pending migrations when the sink starts.
    public var migrate = true
    /// Drop partitions older than this many seconds when the sink starts.
    public var retention: Double?
    public var partitionsAhead = 7

    public var inputPorts: Set<PortType> { [.frames, .events, .rows] }
    public var outputPort: PortType? { nil }

    public init(config: ConfigReader) {
        if let url = config.string("url") {
            do { _ = try DatabaseURL.parse(url) } catch let error as VigilError {
                config.error(error.message, at: config.raw("url")?.location)
            } catch {}
            self.url = url
        }
        batchRows = config.int("batch_rows", in: 1...1_000_000) ?? batchRows
        batchAge = config.duration("batch_age") ?? batchAge
        maxBufferedRows = config.int("max_buffered_rows", in: 1...100_000_000) ?? max(maxBufferedRows, batchRows * 4)
        detections = config.bool("detections") ?? detections
        timeOrigin = config.timeOrigin()
        retryFor = config.duration("retry_for") ?? retryFor
        migrate = config.bool("migrate") ?? migrate
        retention = config.duration("retention")
        partitionsAhead = config.int("partitions_ahead", in: 0...366) ?? partitionsAhead
        config.finish()
    }

    public init(url: String? = nil, batchRows: Int = 5000, batchAge: Double = 0.5, detections: Bool = false,
                timeOrigin: Date? = nil, retryFor: Double = 600) {
        self.url = url; self.batchRows = batchRows; self.batchAge = batchAge; self.detections = detections
        self.timeOrigin = timeOrigin; self.retryFor = retryFor
        self.maxBufferedRows = max(maxBufferedRows, batchRows * 4)
    }

    /// Resolves the database and checks it is reachable and at a schema this build can use.
    public func preflight(context: StageContext) async throws {
        let url = try await StoreLocation.resolve(url, logger: context.logger)
        try await withDatabase(url, logger: context.logger, maxConnections: 1) { db in
            let status = try await Migrator(database: db).status()
            if status.currentVersion > status.latestKnown {
                throw Migrator.newerSchemaError(current: status.currentVersion, known: status.latestKnown, url: url)
            }
            if !migrate, status.currentVersion < status.latestKnown {
                throw VigilError(.database, "the schema is at version \(status.currentVersion), this build needs "
                    + "\(status.latestKnown); run `vigil db migrate` or set migrate: true", subject: url.description)
            }
        }
    }

    public func makeStage(context: StageContext) async throws -> any Stage {
        PostgresSink(spec: self, context: context)
    }
}

/// Where the database is when a pipeline or command does not say.
public enum StoreLocation {
    /// `setting` when given, else `$DATABASE_URL`, else the embedded server (started if needed).
    public static func resolve(_ setting: String?, logger: Logger) async throws -> DatabaseURL {
        if let setting, !setting.isEmpty { return try DatabaseURL.parse(setting) }
        if let env = ProcessInfo.processInfo.environment["DATABASE_URL"], !env.isEmpty {
            return try DatabaseURL.parse(env)
        }
        return try await EmbeddedPostgres().startAndPrepare(logger: logger)
    }
}
